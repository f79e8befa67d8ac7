import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import Testing

@Suite("NodeConnection: cancellation at every moment")
struct NodeConnectionCancellationTests {
    @Test("calls cancelled at any point on their way to the event loop all end cancelled, none waits for its deadline")
    func cancelledOnTheWay() async throws {
        let probe = Probe()
        try await withServer(services: [TestService(probe: probe)]) { _, address in
            try await withConnection(to: address) { connection in
                try await withTimeout(Timeouts.generous, "every cancelled call ends") {
                    await withTaskGroup(of: KRPCError.Code?.self) { group in
                        for index in 0..<400 {
                            // Not pinned to the loop: each call goes through the inbox. A quarter
                            // are cancelled before they call (the call must not reach the server).
                            let cancelFirst = index % 4 == 0
                            let call = Task {
                                if cancelFirst { withUnsafeCurrentTask { $0?.cancel() } }
                                return try await connection.call(
                                    service: "Test",
                                    method: "Hang",
                                    request: Requests.echo("x"),
                                    responseType: EchoResponse.self,
                                    deadline: .seconds(60)
                                )
                            }
                            group.addTask {
                                // Cancel the others at different moments: at once, or after a few yields.
                                for _ in 0..<(index % 4) { await Task.yield() }
                                call.cancel()
                                do {
                                    _ = try await call.value
                                    return nil
                                } catch let error as KRPCError {
                                    return error.code
                                } catch {
                                    return nil
                                }
                            }
                        }
                        var codes: [KRPCError.Code?] = []
                        for await code in group { codes.append(code) }
                        #expect(codes.count == 400)
                        #expect(codes.allSatisfy { $0 == .cancelled })
                    }
                }
            }
        }
    }
}
