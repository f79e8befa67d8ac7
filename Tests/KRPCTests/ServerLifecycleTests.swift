import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import NIOCore
import Synchronization
import Testing

@Suite("Server: cancellation of run() and connections freed after close")
struct ServerLifecycleTests {
    @Test("cancelling the task running the server drains: a call in flight finishes, then run() returns")
    func cancellationDrains() async throws {
        let probe = Probe()
        let server = KRPCServer(
            configuration: .init(gracePeriod: .seconds(30)),
            services: [TestService(probe: probe), EchoService()]
        )
        let running = Task { try await server.run() }
        let address = try await server.listeningAddress()
        try await withConnection(to: address) { connection in
            let inFlight = Task {
                try await connection.call(
                    service: "Test",
                    method: "Gate",
                    request: Requests.echo("drained"),
                    responseType: EchoResponse.self,
                    deadline: Timeouts.generous
                )
            }
            try await waitUntil("the call is in flight") { probe.started == 1 }
            running.cancel()
            try await waitUntil("the server stops listening") { server.boundAddress == nil }
            // Draining, within the grace period: the call in flight is not cut off.
            probe.openGate()
            #expect(try await inFlight.value.value == Data("drained".utf8))
        }
        try await withTimeout(Timeouts.generous, "run() returns after the cancellation") { try await running.value }
        #expect(probe.cancelled == 0)
    }

    @Test("cancelled, the server still closes a connection whose call outlives the grace period")
    func cancellationKeepsGracePeriod() async throws {
        let probe = Probe()
        let server = KRPCServer(configuration: .init(gracePeriod: .milliseconds(300)), services: [TestService(probe: probe)])
        let running = Task { try await server.run() }
        let address = try await server.listeningAddress()
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
            try await waitUntil("the call is in flight") { probe.started == 1 }
            let start = ContinuousClock.now
            running.cancel()
            await expectKRPCError(.unavailable) { try await hanging.value }
            // Not at once (the drain kept its grace period though its task was cancelled), and
            // long before the call's own 60 s deadline.
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            try await waitUntil("the handler was cancelled") { probe.cancelled == 1 }
        }
        try await withTimeout(Timeouts.generous, "run() returns") { try await running.value }
    }

    @Test("run() returns only after its calls' handler tasks ended, even one that ignores cancellation")
    func runOutlivesNoHandlerTask() async throws {
        let probe = Probe()
        let server = KRPCServer(
            configuration: .init(gracePeriod: .milliseconds(1500)),
            services: [TestService(probe: probe)]
        )
        let returned = Flag()
        let running = Task {
            try await server.run()
            returned.set()
        }
        let address = try await server.listeningAddress()
        try await withConnection(to: address) { connection in
            // Test.Gate waits for the gate without looking at cancellation.
            let stubborn = Task {
                try await connection.call(
                    service: "Test",
                    method: "Gate",
                    request: Requests.echo("x"),
                    responseType: EchoResponse.self,
                    deadline: .seconds(60)
                )
            }
            try await waitUntil("the call is in flight") { probe.started == 1 }
            running.cancel()
            // The grace period ends and the connection is closed under the call.
            await expectKRPCError(.unavailable) { try await stubborn.value }
        }
        // Its handler task still runs: run() has not returned, and the handler is still alive.
        await #expect(throws: TimeoutError.self) {
            try await waitUntil("run() returns", limit: .milliseconds(300)) { returned.isSet }
        }
        #expect(server.liveConnectionHandlers == 1)
        probe.openGate()
        try await withTimeout(Timeouts.generous, "run() returns once the handler ended") { try await running.value }
        #expect(server.liveConnectionHandlers == 0)
    }

    @Test("the handlers of closed connections are freed: 300 connect-and-close leave none in memory")
    func handlersFreedAfterClose() async throws {
        try await withServer { server, address in
            for index in 0..<300 {
                let raw = try await RawConnection.connect(to: address)
                if index.isMultiple(of: 2) {
                    // Half of them make a call first, so that the output buffer was used.
                    try await raw.send(try Requests.echoFrame(id: 1))
                    let reply = try await raw.read(frames: 1)
                    #expect(reply.frames.first?.header.status == 0)
                }
                await raw.close()
            }
            try await waitUntil("every closed connection's handler is freed") {
                server.liveConnectionHandlers == 0
            }
        }
    }
}

/// A one-way flag shared with a task (a class: a local `Mutex` captured by a closure crashes the
/// Swift 6.3.1 compiler).
private final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { self.value.withLock { $0 } }
    func set() { self.value.withLock { $0 = true } }
}
