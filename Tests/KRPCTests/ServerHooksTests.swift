import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import Testing

@Suite("Server: fault injection and call counters")
struct ServerHooksTests {
    @Test("error: every method, Health.Check included, answers internal \"injected error\"")
    func errorFault() async throws {
        let faults = TestFaults()
        faults.set(.error)
        let counters = RecordingCounters()
        try await withServer(configure: { $0.faultSource = faults; $0.counters = counters }) { _, address in
            try await withConnection(to: address) { connection in
                let echo = await expectKRPCError(.internal) { try await EchoClient(connection).echo(Requests.echo("x")) }
                #expect(echo?.message == "injected error")
                await expectKRPCError(.internal) { try await HealthClient(connection).check() }
                await expectKRPCError(.internal) { try await UserServiceClient(connection).login(name: "a", pwd: "b") }
                faults.set(nil)
                _ = try await EchoClient(connection).echo(Requests.echo("healthy again"))
                #expect(try await HealthClient(connection).check().status == .serving)
            }
        }
        let records = counters.all
        #expect(records.filter(\.failed).map(\.key.description).sorted() == ["Echo.Echo", "Health.Check", "UserServiceRpc.Login"])
        #expect(records.filter { !$0.failed }.map(\.key.description).sorted() == ["Echo.Echo", "Health.Check"])
    }

    @Test("timeout: the call is held and never answered before the caller's deadline")
    func timeoutFault() async throws {
        let faults = TestFaults()
        faults.set(.timeout)
        let counters = RecordingCounters()
        try await withServer(configure: { $0.faultSource = faults; $0.counters = counters }) { server, address in
            try await withConnection(to: address) { connection in
                // Connected first, and a deadline long enough for the request to reach the server even on
                // a loaded machine.
                try await connection.connect()
                let start = ContinuousClock.now
                await expectKRPCError(.deadlineExceeded) {
                    try await HealthClient(connection).check(deadline: .seconds(3))
                }
                #expect(ContinuousClock.now - start >= .seconds(3))
                try await waitUntil("the held call was dropped and counted as failed") {
                    counters.all == [.init(key: ServiceKey(service: "Health", method: "Check"), node: server.boundAddress!, failed: true)]
                }
            }
        }
    }

    @Test("delay: answered, but no sooner than the delay")
    func delayFault() async throws {
        let faults = TestFaults()
        faults.set(.delay(milliseconds: 250))
        try await withServer(configure: { $0.faultSource = faults }) { _, address in
            try await withConnection(to: address) { connection in
                let start = ContinuousClock.now
                let reply = try await EchoClient(connection).echo(Requests.echo("late"), deadline: Timeouts.generous)
                #expect(reply.value == Data("late".utf8))
                #expect(ContinuousClock.now - start >= .milliseconds(250))
            }
        }
    }

    @Test("a delay of Int.max milliseconds is held (a day at most), not an overflow that stops the server")
    func hugeDelay() async throws {
        let faults = TestFaults()
        faults.set(.delay(milliseconds: .max))
        try await withServer(configure: { $0.faultSource = faults }) { _, address in
            try await withConnection(to: address) { connection in
                await expectKRPCError(.deadlineExceeded) {
                    try await EchoClient(connection).echo(Requests.echo("x"), deadline: .milliseconds(300))
                }
                faults.set(nil)
                let reply = try await EchoClient(connection).echo(Requests.echo("y"))
                #expect(reply.value == Data("y".utf8))
            }
        }
    }

    @Test("delay longer than the deadline ends in deadline exceeded")
    func delayPastDeadline() async throws {
        let faults = TestFaults()
        faults.set(.delay(milliseconds: 5000))
        try await withServer(configure: { $0.faultSource = faults }) { _, address in
            try await withConnection(to: address) { connection in
                await expectKRPCError(.deadlineExceeded) {
                    try await EchoClient(connection).echo(Requests.echo("x"), deadline: .milliseconds(200))
                }
            }
        }
    }

    @Test("error-rate fails that share of calls", arguments: [(0.0, 0), (1.0, 40)])
    func errorRate(rate: Double, expectedFailures: Int) async throws {
        let faults = TestFaults()
        faults.set(.errorRate(rate))
        try await withServer(configure: { $0.faultSource = faults }) { _, address in
            try await withConnection(to: address) { connection in
                var failures = 0
                for _ in 0..<40 {
                    do {
                        _ = try await EchoClient(connection).echo(Requests.echo("x"))
                    } catch let error as KRPCError {
                        #expect(error.code == .internal)
                        failures += 1
                    }
                }
                #expect(failures == expectedFailures)
            }
        }
    }

    @Test("error-rate 0.5 fails some calls and passes others")
    func errorRateHalf() async throws {
        let faults = TestFaults()
        faults.set(.errorRate(0.5))
        try await withServer(configure: { $0.faultSource = faults }) { _, address in
            try await withConnection(to: address) { connection in
                var failures = 0
                for _ in 0..<400 {
                    do { _ = try await EchoClient(connection).echo(Requests.echo("x")) } catch { failures += 1 }
                }
                // Binomial(400, 0.5): 200 ± 20 is one standard deviation; 100...300 is 10 of them.
                #expect((100...300).contains(failures))
            }
        }
    }

    @Test("counters see each handled call once, with the node address and the outcome")
    func countersOncePerCall() async throws {
        let counters = RecordingCounters()
        try await withServer(configure: { $0.counters = counters }) { server, address in
            try await withConnection(to: address) { connection in
                for _ in 0..<5 { _ = try await UserServiceClient(connection).login(name: "a", pwd: "b") }
                await expectKRPCError(.invalidRequest) {
                    try await connection.call(service: "Echo", method: "Echo", payload: [0xFF], deadline: nil)
                }
                #expect(server.boundAddress == address)
            }
        }
        let records = counters.all
        #expect(records.count == 6)
        #expect(records.filter { $0.key.description == "UserServiceRpc.Login" && !$0.failed }.count == 5)
        #expect(records.filter { $0.key.description == "Echo.Echo" && $0.failed }.count == 1)
        #expect(Set(records.map(\.node)).count == 1)
    }
}
