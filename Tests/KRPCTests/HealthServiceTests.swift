import KRPC
import KRPCWire
import Logging
import Testing

@Suite("Health.Check")
struct HealthServiceTests {
    func check(_ service: String, on connection: NodeConnection) async throws(KRPCError) -> HealthCheckResponse {
        var request = HealthCheckRequest()
        request.service = service
        return try await HealthClient(connection).check(request)
    }

    @Test("an empty name asks about the server: SERVING; a served service (or Health, Stats): SERVING")
    func served() async throws {
        try await withServer { _, address in
            try await withConnection(to: address) { connection in
                for name in ["", UserServiceRpc.name, Echo.name, HealthService.name, "Stats"] {
                    let status = try await self.check(name, on: connection).status
                    #expect(status == .serving, "\(name)")
                }
            }
        }
    }

    @Test("a service the server does not serve fails with unknown service, as a call to it does")
    func unknownService() async throws {
        try await withServer(services: [EchoService()]) { _, address in
            try await withConnection(to: address) { connection in
                for name in [UserServiceRpc.name, "NoSuchService"] {
                    do throws(KRPCError) {
                        let response = try await self.check(name, on: connection)
                        Issue.record("\(name) answered \(response.status)")
                    } catch {
                        #expect(error.code == .unknownService)
                        #expect(error.message == "unknown service '\(name)'")
                    }
                }
                // The same code a call to the service gets from the server itself.
                do throws(KRPCError) {
                    _ = try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456")
                    Issue.record("a login on a server without UserServiceRpc succeeded")
                } catch {
                    #expect(error.code == .unknownService)
                }
                let whole = try await self.check("", on: connection).status
                #expect(whole == .serving)
            }
        }
    }

    @Test("a server given its own HealthService still tells it what it serves")
    func explicitHealthService() async throws {
        try await withServer(services: [EchoService(), HealthService()]) { _, address in
            try await withConnection(to: address) { connection in
                let echo = try await self.check(Echo.name, on: connection).status
                #expect(echo == .serving)
                await #expect(throws: KRPCError.self) { try await self.check(UserServiceRpc.name, on: connection) }
            }
        }
    }

    @Test("a huge unknown name is cut in the error")
    func longName() async throws {
        let service = HealthService()
        service.attach(serving: ["Echo"])
        var request = HealthCheckRequest()
        request.service = String(repeating: "x", count: 10_000)
        let context = KRPCServerContext(service: "Health", method: "Check", logger: Logger(label: "test"))
        do {
            _ = try await service.check(request, context: context)
            Issue.record("an unknown service answered")
        } catch let error as KRPCError {
            #expect(error.code == .unknownService)
            #expect(error.message.count < 250)
        }
    }
}
