import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import KRPCWire
import NIOCore
import NIOPosix
import Synchronization
import Testing

@Suite("Server: services, concurrency, deadlines, shutdown")
struct ServerTests {
    @Test("Login answers success and logs as the seed does")
    func login() async throws {
        let logs = LogCapture()
        try await withServer(configure: { $0.logger = logs.logger() }) { _, address in
            try await withConnection(to: address) { connection in
                let reply = try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456")
                #expect(reply.success)
                #expect(reply.errcode == 0)
            }
        }
        #expect(logs.contains("doing local service: Login"))
        #expect(logs.contains("name: zhangsan pwd: 123456"))
    }

    @Test("Login does not log the password above trace level")
    func loginRedacts() async throws {
        let logs = LogCapture()
        try await withServer(configure: { $0.logger = logs.logger(level: .debug) }) { _, address in
            try await withConnection(to: address) { connection in
                _ = try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456")
            }
        }
        #expect(logs.contains("doing local service: Login"))
        #expect(!logs.contains("123456"))
    }

    @Test("every server answers Health.Check and Stats.Get")
    func healthAndStats() async throws {
        try await withServer { server, address in
            try await withConnection(to: address) { connection in
                #expect(try await HealthClient(connection).check().status == .serving)
                for _ in 0..<3 { _ = try await EchoClient(connection).echo(Requests.echo("x")) }
                let stats = try await StatsClient(connection).get()
                #expect(stats.address == "\(address)")
                let echo = try #require(stats.methods.first { $0.service == "Echo" && $0.method == "Echo" })
                #expect(echo.calls == 3)
                #expect(echo.errors == 0)
                #expect(echo.p50Us > 0)
                let health = try #require(stats.methods.first { $0.service == "Health" })
                #expect(health.calls == 1)
                #expect(server.statistics.snapshot().contains { $0.service == "UserServiceRpc" && $0.method == "Login" })
            }
        }
    }

    @Test("Stats.Get counts calls in flight, and answers while a fault holds every other call")
    func statsInFlightUnderFault() async throws {
        let probe = Probe()
        let faults = TestFaults()
        try await withServer(
            services: [TestService(probe: probe)], configure: { $0.faultSource = faults }
        ) { _, address in
            try await withConnection(to: address) { connection in
                let stats = StatsClient(connection)
                func gateInFlight() async throws -> UInt64? {
                    try await stats.get().methods.first { $0.service == "Test" && $0.method == "Gate" }?.inFlight
                }
                #expect(try await gateInFlight() == 0)
                let gated = (0..<2).map { _ in
                    Task {
                        try await connection.call(
                            service: "Test", method: "Gate", request: Requests.echo("x"), responseType: EchoResponse.self)
                    }
                }
                try await waitUntil("both calls reached their handler") { probe.started == 2 }
                #expect(try await gateInFlight() == 2)

                // Every call but Stats.Get is now held for a minute, the health check too.
                faults.set(.delay(milliseconds: 60_000))
                let held = Task {
                    try await connection.call(
                        service: "Test", method: "Gate", request: Requests.echo("y"), responseType: EchoResponse.self)
                }
                try await waitUntil("the held call was counted in flight") { try await gateInFlight() == 3 }
                #expect(probe.started == 2, "the held call reached its handler")
                await expectKRPCError(.deadlineExceeded) {
                    _ = try await HealthClient(connection).check(deadline: .milliseconds(300))
                }

                probe.openGate()
                for call in gated { #expect(try await call.value.value == Data("x".utf8)) }
                #expect(try await gateInFlight() == 1)
                held.cancel()
                await expectKRPCError(.cancelled) { _ = try await held.value }
                try await waitUntil("the cancelled call left the count") { try await gateInFlight() == 0 }
            }
        }
    }

    @Test("past the per-connection limit a call is answered overloaded at once, without running its handler")
    func perConnectionLimit() async throws {
        let probe = Probe()
        try await withServer(
            services: [EchoService(), TestService(probe: probe)], configure: { $0.maximumConcurrentCallsPerConnection = 2 }
        ) { server, address in
            try await withConnection(to: address) { connection in
                func gate(_ text: String) async throws(KRPCError) -> EchoResponse {
                    try await connection.call(
                        service: "Test", method: "Gate", request: Requests.echo(text), responseType: EchoResponse.self)
                }
                let held = (0..<2).map { i in Task { try await gate("held \(i)") } }
                try await waitUntil("both calls reached their handler") { probe.started == 2 }

                let refused = await #expect(throws: KRPCError.self) { try await gate("third") }
                #expect(refused?.code == .overloaded)
                #expect(refused?.message.contains("2 calls already in flight") == true, "\(String(describing: refused))")
                #expect(probe.started == 2, "the refused call ran its handler")
                // Another connection has its own allowance.
                let echoed = try await withConnection(to: address) { other in
                    try await EchoClient(other).echo(Requests.echo("y")).value
                }
                #expect(echoed == Data("y".utf8))

                probe.openGate()
                for (i, call) in held.enumerated() { #expect(try await call.value.value == Data("held \(i)".utf8)) }
                #expect(try await gate("after").value == Data("after".utf8))
                let stats = try #require(server.statistics.snapshot().first { $0.method == "Gate" })
                #expect(stats.calls == 4)
                #expect(stats.errors == 1)
            }
        }
    }

    @Test(
        "a bad configuration makes run() throw invalid request, naming the field",
        arguments: ["port", "maximumFrameLength", "flushEvery", "maximumConcurrentCallsPerConnection"]
    )
    func badConfiguration(field: String) async throws {
        var configuration = KRPCServer.Configuration()
        switch field {
        case "port": configuration.port = 70_000
        case "maximumFrameLength": configuration.maximumFrameLength = 10
        case "flushEvery": configuration.flushEvery = 0
        default: configuration.maximumConcurrentCallsPerConnection = 0
        }
        let server = KRPCServer(configuration: configuration, services: [EchoService()])
        let error = await #expect(throws: KRPCError.self) { try await server.run() }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.hasPrefix(field) == true, "\(String(describing: error))")
    }

    @Test("responses come back in any order: a slow call does not hold up quick ones")
    func outOfOrder() async throws {
        let probe = Probe()
        try await withServer(services: [EchoService(), TestService(probe: probe)]) { _, address in
            try await withConnection(to: address) { connection in
                let slow = Task {
                    try await connection.call(
                        service: "Test",
                        method: "Gate",
                        request: Requests.echo("slow"),
                        responseType: EchoResponse.self,
                        deadline: Timeouts.generous
                    )
                }
                try await waitUntil("the slow call started") { probe.started == 1 }
                for i in 0..<20 {
                    let reply = try await EchoClient(connection).echo(Requests.echo("quick \(i)"))
                    #expect(reply.value == Data("quick \(i)".utf8))
                }
                probe.openGate()
                #expect(try await slow.value.value == Data("slow".utf8))
            }
        }
    }

    @Test("the server answers deadline exceeded when the caller's deadline passes, and cancels the handler")
    func serverSideDeadline() async throws {
        let probe = Probe()
        let reply = try await withServer(services: [TestService(probe: probe)]) { _, address in
            let raw = try await RawConnection.connect(to: address)
            let payload: [UInt8] = try Requests.echo("x").serializedBytes()
            var frame = ByteBuffer()
            frame.writeKRPCFrame(
                header: .request(id: 5, service: "Test", method: "Hang", deadlineMilliseconds: 200),
                payload: payload
            )
            try await raw.send(frame)
            let reply = try await raw.read(frames: 1)
            try await waitUntil("the handler was cancelled") { probe.cancelled == 1 }
            await raw.close()
            return reply
        }
        let header = try #require(reply.frames.first?.header)
        #expect(header.requestID == 5)
        #expect(header.status == KRPCError.Code.deadlineExceeded.rawValue)
        #expect(header.message.contains("exceeded its deadline of 200 ms on the server"))
    }

    @Test("a client deadline ends the call with deadline exceeded, and the server stops the handler")
    func clientDeadline() async throws {
        let probe = Probe()
        try await withServer(services: [TestService(probe: probe)]) { server, address in
            try await withConnection(to: address) { connection in
                // Connected first, and a deadline long enough for the request to reach the server even on
                // a loaded machine (a short one may pass before the call leaves the event loop).
                try await connection.connect()
                let start = ContinuousClock.now
                await expectKRPCError(.deadlineExceeded) {
                    try await connection.call(
                        service: "Test",
                        method: "Hang",
                        request: Requests.echo("x"),
                        responseType: EchoResponse.self,
                        deadline: .seconds(3)
                    )
                }
                #expect(ContinuousClock.now - start >= .seconds(3))
                try await waitUntil("the handler was cancelled") { probe.cancelled == 1 }
                try await waitUntil("the failed call was counted") {
                    server.statistics.snapshot().first { $0.method == "Hang" }?.errors == 1
                }
                #expect(connection.state.isReady)
            }
        }
    }

    @Test("cancelling the calling task cancels the call, here and on the server")
    func taskCancellation() async throws {
        let probe = Probe()
        try await withServer(services: [TestService(probe: probe)]) { _, address in
            try await withConnection(to: address) { connection in
                let call = Task {
                    try await connection.call(
                        service: "Test",
                        method: "Hang",
                        request: Requests.echo("x"),
                        responseType: EchoResponse.self,
                        deadline: Timeouts.generous
                    )
                }
                try await waitUntil("the handler started") { probe.started == 1 }
                call.cancel()
                do {
                    _ = try await call.value
                    Issue.record("a cancelled call returned")
                } catch let error as KRPCError {
                    #expect(error.code == .cancelled)
                }
                try await waitUntil("the server cancelled the handler") { probe.cancelled == 1 }
            }
        }
    }

    @Test("a client closing mid-call: the server cancels the handler and keeps serving")
    func clientClosesMidCall() async throws {
        let probe = Probe()
        try await withServer(services: [EchoService(), TestService(probe: probe)]) { _, address in
            let raw = try await RawConnection.connect(to: address)
            let payload: [UInt8] = try Requests.echo("x").serializedBytes()
            var frame = ByteBuffer()
            frame.writeKRPCFrame(header: .request(id: 1, service: "Test", method: "Hang", deadlineMilliseconds: 0), payload: payload)
            try await raw.send(frame)
            try await waitUntil("the handler started") { probe.started == 1 }
            await raw.close()
            try await waitUntil("the handler was cancelled") { probe.cancelled == 1 }
            try await expectStillServing(address)
        }
    }

    @Test("graceful shutdown: calls in flight finish, new calls get unavailable, run() returns")
    func gracefulShutdown() async throws {
        let probe = Probe()
        let server = KRPCServer(configuration: .init(gracePeriod: .seconds(30)), services: [TestService(probe: probe), EchoService()])
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
            server.beginGracefulShutdown()
            // New calls are refused (answered unavailable, or the connection is gone).
            try await waitUntil("a new call is refused") {
                do {
                    _ = try await EchoClient(connection).echo(Requests.echo("late"), deadline: .seconds(5))
                    return false
                } catch let error as KRPCError {
                    return error.code == .unavailable
                } catch {
                    return false
                }
            }
            #expect(server.boundAddress == nil)
            probe.openGate()
            #expect(try await inFlight.value.value == Data("drained".utf8))
        }
        try await running.value
        let fresh = NodeConnection(to: address)
        await expectKRPCError(.unavailable) { try await fresh.connect() }
        await fresh.close()
    }

    @Test("graceful shutdown past the grace period closes connections; their calls fail with unavailable at once")
    func gracePeriodOver() async throws {
        let probe = Probe()
        let server = KRPCServer(
            configuration: .init(gracePeriod: .milliseconds(200)),
            services: [TestService(probe: probe)]
        )
        let running = Task { try await server.run() }
        let address = try await server.listeningAddress()
        try await withConnection(to: address) { connection in
            let calls = (0..<50).map { _ in
                Task {
                    try await connection.call(
                        service: "Test",
                        method: "Hang",
                        request: Requests.echo("x"),
                        responseType: EchoResponse.self,
                        deadline: .seconds(60)
                    )
                }
            }
            try await waitUntil("all calls are in flight") { probe.started == 50 }
            let start = ContinuousClock.now
            server.beginGracefulShutdown()
            for call in calls {
                do {
                    _ = try await call.value
                    Issue.record("a call on a closed connection returned")
                } catch let error as KRPCError {
                    #expect(error.code == .unavailable)
                }
            }
            // Far sooner than the 60 s deadline: the dropped connection failed them together.
            #expect(ContinuousClock.now - start < .seconds(15))
            try await waitUntil("handlers were cancelled") { probe.cancelled == 50 }
        }
        try await running.value
    }
}

/// The heavy tests, one at a time, on event loops of their own (so that their 10,000 calls in
/// flight do not starve the other tests' connections of loop time).
@Suite("Server: 10,000 calls in flight", .serialized)
struct ManyCallsTests {
    func withIsolatedConnection(_ body: (NodeConnection) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        try await withServer(configure: { $0.eventLoopGroup = group }) { _, address in
            let connection = NodeConnection(
                to: address,
                configuration: .init(defaultDeadline: .seconds(60)),
                eventLoopGroup: group
            )
            do {
                try await body(connection)
                await connection.close()
            } catch {
                await connection.close()
                throw error
            }
        }
        try await group.shutdownGracefully()
    }

    @Test("10,000 concurrent calls over one connection all get their own response")
    func tenThousandConcurrentCalls() async throws {
        try await self.withIsolatedConnection { connection in
            let client = EchoClient(connection)
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<10_000 {
                    group.addTask {
                        let reply = try await client.echo(Requests.echo("call-\(i)"))
                        return reply.value == Data("call-\(i)".utf8) ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
        }
    }

    @Test("10,000 calls from tasks pinned to the connection's event loop")
    func tenThousandPinnedCalls() async throws {
        try await self.withIsolatedConnection { connection in
            let client = EchoClient(connection)
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<10_000 {
                    group.addTask(executorPreference: connection.executor) {
                        let reply = try await client.echo(Requests.echo("pinned-\(i)"))
                        return reply.value == Data("pinned-\(i)".utf8) ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
        }
    }
}
