import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite("NodeConnection")
struct NodeConnectionTests {
    /// A port nothing listens on: bound once by a server that then stopped.
    func deadPort() async throws -> NodeAddress {
        try await withServer { _, address in address }
    }

    @Test("nothing listening: unavailable at once, then fail fast while backing off")
    func refused() async throws {
        let address = try await self.deadPort()
        let configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous, initialBackoff: .seconds(30), maximumBackoff: .seconds(30))
        try await withConnection(to: address, configuration: configuration) { connection in
            let first = await expectKRPCError(.unavailable) {
                try await EchoClient(connection).echo(Requests.echo("x"), deadline: Timeouts.generous)
            }
            #expect(first?.message.contains("cannot connect to \(address)") == true)
            guard case .backingOff = connection.state else {
                Issue.record("expected backingOff, got \(connection.state)")
                return
            }
            let second = await expectKRPCError(.unavailable) {
                try await EchoClient(connection).echo(Requests.echo("x"), deadline: Timeouts.generous)
            }
            #expect(second?.message.contains("next attempt in") == true)
        }
    }

    @Test("reconnects to a server that comes back on the same port")
    func reconnects() async throws {
        let address = try await self.deadPort()
        let configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous, initialBackoff: .milliseconds(20), maximumBackoff: .milliseconds(100))
        try await withConnection(to: address, configuration: configuration) { connection in
            await expectKRPCError(.unavailable) { try await HealthClient(connection).check() }
            try await withServer(configure: { $0.port = address.port }) { _, _ in
                try await waitUntil("a call succeeds after the backoff") {
                    (try? await HealthClient(connection).check()) != nil
                }
                #expect(connection.state.isReady)
            }
            // That server is gone: the next call fails, then the connection is idle or backing off.
            await expectKRPCError(.unavailable) { try await HealthClient(connection).check() }
        }
    }

    @Test("state updates: idle, connecting, ready, then idle when the server goes away, closed at the end")
    func stateUpdates() async throws {
        let connection = try await withServer { _, address in
            let connection = NodeConnection(to: address, configuration: .init(defaultDeadline: Timeouts.generous))
            let updates = connection.stateUpdates()
            let seen = Task {
                var names: [String] = []
                for await state in updates { names.append(state.description) }
                return names
            }
            try await connection.connect()
            #expect(connection.state.isReady)
            return (connection, seen)
        }
        try await waitUntil("the connection noticed the server left") {
            if case .idle = connection.0.state { return true }
            return false
        }
        await connection.0.close()
        let names = await connection.1.value
        #expect(names == ["idle", "connecting", "ready", "idle", "closed"])
    }

    @Test("a request over the maximum frame length fails locally with frame too large")
    func requestTooLarge() async throws {
        try await withServer { _, address in
            let configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous, maximumFrameLength: 1024)
            try await withConnection(to: address, configuration: configuration) { connection in
                await expectKRPCError(.frameTooLarge) {
                    try await EchoClient(connection).echo(Requests.echo(String(repeating: "a", count: 2000)))
                }
                _ = try await EchoClient(connection).echo(Requests.echo("small"))
            }
        }
    }

    @Test("a request over the server's maximum: GOAWAY frame too large fails the calls in flight")
    func serverRejectsLargeFrame() async throws {
        let probe = Probe()
        try await withServer(services: [EchoService(), TestService(probe: probe)], configure: { $0.maximumFrameLength = 2000 }) { _, address in
            try await withConnection(to: address) { connection in
                let hanging = Task {
                    try await connection.call(
                        service: "Test",
                        method: "Hang",
                        request: Requests.echo("x"),
                        responseType: EchoResponse.self,
                        deadline: .seconds(60)
                    )
                }
                try await waitUntil("the first call is in flight") { probe.started == 1 }
                let large = await expectKRPCError(.frameTooLarge) {
                    try await EchoClient(connection).echo(Requests.echo(String(repeating: "a", count: 3000)), deadline: .seconds(60))
                }
                #expect(large?.message.contains("exceeds the maximum 2000") == true)
                do {
                    _ = try await hanging.value
                    Issue.record("the call in flight returned")
                } catch let error as KRPCError {
                    #expect(error.code == .frameTooLarge)
                }
                // The next call reconnects.
                _ = try await EchoClient(connection).echo(Requests.echo("after"))
            }
        }
    }

    @Test("a response over the client's maximum closes the connection with frame too large")
    func responseTooLarge() async throws {
        try await withServer(services: [TestService(probe: Probe())]) { _, address in
            let configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous, maximumFrameLength: 1000)
            try await withConnection(to: address, configuration: configuration) { connection in
                let error = await expectKRPCError(.frameTooLarge) {
                    try await connection.call(service: "Test", method: "Big", request: Requests.echo("5000"), responseType: EchoResponse.self)
                }
                #expect(error?.message.contains("exceeds the maximum 1000") == true)
                let reply = try await connection.call(
                    service: "Test",
                    method: "Big",
                    request: Requests.echo("10"),
                    responseType: EchoResponse.self
                )
                #expect(reply.value.count == 10)
            }
        }
    }

    @Test("calls after close fail with unavailable")
    func afterClose() async throws {
        try await withServer { _, address in
            let connection = NodeConnection(to: address, configuration: .init(defaultDeadline: Timeouts.generous))
            _ = try await EchoClient(connection).echo(Requests.echo("x"))
            await connection.close()
            await expectKRPCError(.unavailable) { try await EchoClient(connection).echo(Requests.echo("x")) }
        }
    }

    @Test("a call from an already-cancelled task fails with cancelled")
    func alreadyCancelled() async throws {
        try await withServer { _, address in
            try await withConnection(to: address) { connection in
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await EchoClient(connection).echo(Requests.echo("x"))
                }
                do {
                    _ = try await task.value
                    Issue.record("a cancelled call returned")
                } catch let error as KRPCError {
                    #expect(error.code == .cancelled)
                }
            }
        }
    }
}
