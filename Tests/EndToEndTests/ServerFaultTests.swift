import Foundation
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCTestSupport
import Synchronization
import Testing

/// Fault-injection keys (`krpc:fault:<host:port>`) set in the real Redis and obeyed by real servers.
///
/// Behavior is observed with back-to-back `Health.Check` probes (faults apply to every method, probes
/// included). "Within 200 ms" is measured from the SET's reply to the moment the first probe showing the
/// new behavior was sent.
@Suite("krpc-server: fault injection", .enabled(if: TestEnvironment.isAvailable(.redis)))
struct ServerFaultTests {
    @Test("error, timeout, delay and error-rate each apply within 200 ms, and clearing restores within 200 ms")
    func eachFaultAppliesAndClears() async throws {
        let redis = try TestEnvironment.addressString(of: .redis)
        let server = try await ServerProcess.start(["--no-registry", "--redis", redis, "--allow-fault-injection"])
        let key = RedisKeys.fault(server.address)
        let prober = Prober(connection: server.connect())
        try await ServerTest.withRedis(redis) { client in
            #expect(await prober.probe().isHealthy)

            // error: every call fails with an internal "injected error", Login included.
            try await self.apply("error", to: key, client: client, prober: prober) { $0.isInjectedError }
            await #expect(throws: KRPCError.self) {
                try await UserServiceClient(prober.connection).login(name: "zhangsan", pwd: "123456")
            }
            try await self.clear(key, client: client, prober: prober)

            // timeout: not answered before the caller's deadline.
            try await self.apply("timeout", to: key, client: client, prober: prober) { $0.code == .deadlineExceeded }
            try await self.clear(key, client: client, prober: prober)

            // delay:300: answered, 300 ms late.
            try await self.apply("delay:300", to: key, client: client, prober: prober, probeDeadline: .seconds(1)) {
                $0.code == nil && $0.duration >= .milliseconds(300)
            }
            try await self.clear(key, client: client, prober: prober)

            // error-rate:0.5: about half the calls fail.
            try await self.apply("error-rate:0.5", to: key, client: client, prober: prober) { $0.isInjectedError }
            var failures = 0
            for _ in 0..<200 {
                let outcome = await prober.probe()
                if outcome.isInjectedError { failures += 1 } else { #expect(outcome.isHealthy, "\(outcome)") }
            }
            #expect((50...150).contains(failures), "error-rate:0.5 failed \(failures) of 200 calls")
            try await self.clear(key, client: client, prober: prober)
        }
        await prober.connection.close()
        #expect(server.logLines(containing: "fault injected").count == 4, "\(server.log())")
        #expect(try await server.terminate() == 0)
    }

    @Test("a fault set with a TTL ends by itself")
    func faultWithTTLEnds() async throws {
        let redis = try TestEnvironment.addressString(of: .redis)
        let server = try await ServerProcess.start(["--no-registry", "--redis", redis, "--allow-fault-injection"])
        let key = RedisKeys.fault(server.address)
        let prober = Prober(connection: server.connect())
        try await ServerTest.withRedis(redis) { client in
            _ = try await client.send("SET", key, "error", "PX", "700")
            let setAt = ContinuousClock.now
            let (applied, _) = try await prober.firstChange(after: setAt) { $0.isInjectedError }
            #expect(applied < .milliseconds(200))
            let (ended, outcomes) = try await prober.firstChange(after: setAt) { $0.isHealthy }
            #expect(ended <= .milliseconds(900), "the fault ended \(ended) after it was set with a 700 ms TTL")
            let lastFailure = outcomes.filter(\.isInjectedError).map(\.sentAt).max() ?? setAt
            #expect(lastFailure - setAt >= .milliseconds(500), "the fault ended early")
            // Redis drops the key itself (the watcher's local deadline may run a millisecond ahead of Redis's).
            try await waitUntil("Redis to expire \(key)", timeout: .milliseconds(500)) {
                try await client.send("EXISTS", key).integer == 0
            }
        }
        await prober.connection.close()
        #expect(try await server.terminate() == 0)
    }

    @Test("without --allow-fault-injection the key changes nothing, with one warning")
    func keyIgnoredWithoutPermission() async throws {
        let redis = try TestEnvironment.addressString(of: .redis)
        let server = try await ServerProcess.start(["--no-registry", "--redis", redis])
        let key = RedisKeys.fault(server.address)
        let prober = Prober(connection: server.connect())
        try await ServerTest.withRedis(redis) { client in
            _ = try await client.send("SET", key, "error")
            try await server.waitForLog("fault injection is off")
            // The key has been read (the warning says so); calls for the next 300 ms are all answered.
            let until = ContinuousClock.now + .milliseconds(300)
            var probes = 0
            while ContinuousClock.now < until {
                let outcome = await prober.probe()
                #expect(outcome.isHealthy, "\(outcome)")
                probes += 1
            }
            #expect(probes > 10)
            _ = try await client.send("DEL", key)
        }
        #expect(server.logLines(containing: "fault injection is off").count == 1)
        await prober.connection.close()
        #expect(try await server.terminate() == 0)
    }

    @Test("a malformed fault value is ignored with one warning")
    func malformedValueIgnored() async throws {
        let redis = try TestEnvironment.addressString(of: .redis)
        let server = try await ServerProcess.start(["--no-registry", "--redis", redis, "--allow-fault-injection"])
        let key = RedisKeys.fault(server.address)
        let prober = Prober(connection: server.connect())
        try await ServerTest.withRedis(redis) { client in
            _ = try await client.send("SET", key, "explode:now")
            try await server.waitForLog("ignoring a malformed fault value")
            #expect(await prober.probe().isHealthy)
            // Later reads happen (a real fault applies), and the same bad value again warns no more.
            try await self.apply("error", to: key, client: client, prober: prober) { $0.isInjectedError }
            _ = try await client.send("SET", key, "explode:now")
            _ = try await prober.firstChange(after: .now) { $0.isHealthy }
            _ = try await client.send("DEL", key)
        }
        #expect(server.logLines(containing: "ignoring a malformed fault value").count == 1, "\(server.log())")
        await prober.connection.close()
        #expect(try await server.terminate() == 0)
    }

    /// Sets the fault key to `value` and checks the behavior changes within 200 ms.
    private func apply(
        _ value: String,
        to key: String,
        client: RedisClient,
        prober: Prober,
        probeDeadline: Duration = .milliseconds(150),
        _ condition: @escaping @Sendable (Prober.Outcome) -> Bool
    ) async throws {
        _ = try await client.send("SET", key, value)
        let (applied, _) = try await prober.firstChange(after: .now, probeDeadline: probeDeadline, condition)
        #expect(applied < .milliseconds(200), "\(value) took \(applied) to apply")
    }

    /// Deletes the fault key and checks calls are healthy again within 200 ms.
    private func clear(_ key: String, client: RedisClient, prober: Prober) async throws {
        _ = try await client.send("DEL", key)
        let (restored, _) = try await prober.firstChange(after: .now) { $0.isHealthy }
        #expect(restored < .milliseconds(200), "clearing the fault took \(restored)")
    }
}

/// Sends `Health.Check` probes and reports what each saw.
struct Prober: Sendable {
    struct Outcome: Sendable, CustomStringConvertible {
        var sentAt: ContinuousClock.Instant
        var duration: Duration
        /// `nil` when the call was answered.
        var code: KRPCError.Code?
        var message: String

        var isHealthy: Bool { self.code == nil && self.duration < .milliseconds(150) }
        var isInjectedError: Bool { self.code == .internal && self.message.contains("injected error") }
        var description: String { "\(self.code.map { "\($0)" } ?? "ok") '\(self.message)' after \(self.duration)" }
    }

    let connection: NodeConnection

    /// One probe; the deadline is longer than a healthy call and short enough to spot `timeout` quickly.
    func probe(deadline: Duration = .milliseconds(150)) async -> Outcome {
        let sentAt = ContinuousClock.now
        do {
            _ = try await HealthClient(self.connection).check(deadline: deadline)
            return Outcome(sentAt: sentAt, duration: .now - sentAt, code: nil, message: "")
        } catch {
            return Outcome(sentAt: sentAt, duration: .now - sentAt, code: error.code, message: error.message)
        }
    }

    /// Sends a probe every 10 ms (without waiting for the previous one: a held or delayed call must not hide
    /// the moment behavior changes) until one satisfies `condition`, then lets the probes in flight finish.
    /// - Returns: how long after `start` the earliest probe satisfying `condition` was sent, and every outcome.
    /// - Throws: when none does within `timeout`.
    func firstChange(
        after start: ContinuousClock.Instant,
        timeout: Duration = .seconds(3),
        probeDeadline: Duration = .milliseconds(150),
        _ condition: @escaping @Sendable (Outcome) -> Bool
    ) async throws -> (Duration, [Outcome]) {
        let outcomes = Shared<[Outcome]>([])
        await withTaskGroup(of: Void.self) { group in
            var next = ContinuousClock.now
            while next < start + timeout && !outcomes.withLock({ $0.contains(where: condition) }) {
                group.addTask {
                    let outcome = await self.probe(deadline: probeDeadline)
                    outcomes.withLock { $0.append(outcome) }
                }
                next += .milliseconds(10)
                try? await Task.sleep(until: next, clock: .continuous)
            }
        }
        let all = outcomes.withLock { $0 }.sorted { $0.sentAt < $1.sentAt }
        guard let first = all.first(where: condition) else {
            throw TestEnvironmentError(
                message: "no probe showed the change within \(timeout) (last: \(all.last.map { "\($0)" } ?? "none"))"
            )
        }
        return (first.sentAt - start, all)
    }
}
