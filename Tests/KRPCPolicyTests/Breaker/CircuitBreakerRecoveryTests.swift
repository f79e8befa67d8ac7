import KRPCPolicy
import Testing

@Suite("Circuit breaker: cool-down, half-open and recovery")
struct CircuitBreakerRecoveryTests {
    @Test("the cool-down ends in half-open at exactly 200 ms (the seed's)")
    func cooldownEndsInHalfOpen() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        #expect(breaker.tick(at: t0 + .milliseconds(199)) == .none)
        #expect(breaker.state == .open)
        #expect(breaker.tick(at: t0 + .milliseconds(200)) == .halfOpened)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.since == t0 + .milliseconds(200))
        #expect(breaker.openUntil == nil)
        #expect(breaker.tick(at: t0 + .milliseconds(300)) == .none)
    }

    @Test("half-open admits a bounded number of concurrent trial calls", arguments: [1, 2, 3])
    func trialBound(maxTrials: Int) throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(halfOpenMaxTrials: maxTrials), now: t0)
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .seconds(1))
        var permits: [CallPermit] = []
        for _ in 0..<maxTrials {
            #expect(breaker.admits)
            let permit = breaker.acquire()
            permits.append(try #require(permit))
        }
        #expect(permits.allSatisfy { $0.kind == .trial })
        #expect(breaker.trialsInFlight == maxTrials)
        #expect(!breaker.admits)
        #expect(breaker.acquire() == nil)
        // Releasing a permit (a caller error, a lost hedge) frees its slot without counting an outcome.
        breaker.release(permits[0])
        #expect(breaker.admits)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire()?.kind == .trial)
    }

    @Test("M successes close a half-open breaker", arguments: [1, 2, 3])
    func successesClose(threshold: Int) {
        var breaker = CircuitBreaker(
            configuration: exactBreaker(halfOpenMaxTrials: 3, halfOpenSuccessThreshold: threshold),
            now: t0
        )
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .seconds(1))
        var actions: [BreakerAction?] = []
        for n in 1...threshold { actions.append(breaker.call(.success, at: t0 + .seconds(1) + .milliseconds(n))) }
        #expect(actions == Array(repeating: BreakerAction.none, count: threshold - 1) + [.closed])
        #expect(breaker.state == .closed)
        #expect(breaker.since == t0 + .seconds(1) + .milliseconds(threshold))
        #expect(breaker.consecutiveFailures == 0)
        #expect(breaker.reason == "5 consecutive failures: internal 'injected error'")  // kept for display
        #expect(breaker.acquire()?.kind == .normal)
    }

    @Test("a failed trial re-opens with a doubled cool-down, capped at 30 s")
    func retripDoublesToCap() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        var now = t0
        var cooldowns: [Duration] = [breaker.currentCooldown ?? .zero]
        let failure = CallOutcome.failure(kind: .transport, message: "connection refused")
        for _ in 0..<10 {
            now = breaker.openUntil ?? now
            #expect(breaker.tick(at: now) == .halfOpened)
            let action = breaker.call(failure, at: now)
            let cooldown = breaker.currentCooldown ?? .zero
            let reason = "half-open trial failed: transport 'connection refused'"
            #expect(action == .opened(until: now + cooldown, reason: reason))
            cooldowns.append(cooldown)
        }
        let expected = [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000]
        #expect(cooldowns == expected.map { Duration.milliseconds($0) })
        #expect(breaker.tripCount == 11)
    }

    static let resetCases: [(closedFor: Duration, nextCooldown: Duration)] = [
        (.milliseconds(9_999), .milliseconds(400)),  // flapping: the schedule keeps growing
        (.seconds(10), .milliseconds(200)),  // stayed closed long enough: back to the first cool-down
        (.seconds(60), .milliseconds(200)),
    ]

    @Test("the cool-down restarts at 200 ms only after staying closed for 10 s", arguments: resetCases)
    func cooldownReset(closedFor: Duration, nextCooldown: Duration) {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .milliseconds(200))
        #expect(breaker.call(.success, at: t0 + .milliseconds(250)) == .closed)
        breaker.trip(at: t0 + .milliseconds(250) + closedFor)
        #expect(breaker.currentCooldown == nextCooldown)
        #expect(breaker.tripCount == 2)
    }

    @Test("cool-downs are jittered within ±20 % by the injected generator")
    func cooldownJitter() {
        var config = BreakerConfiguration()
        config.failureRate = nil
        var seen: Set<Duration> = []
        for seed in UInt64(0)..<200 {
            var rng = SplitMix64(seed: seed)
            var breaker = CircuitBreaker(configuration: config, now: t0)
            var action = BreakerAction.none
            while let permit = breaker.acquire() {
                action = breaker.record(injected, for: permit, now: t0, using: &rng)
            }
            guard case .opened(let until, _) = action else {
                Issue.record("not opened: \(action)")
                continue
            }
            #expect(until - t0 >= .milliseconds(160) && until - t0 <= .milliseconds(240))
            seen.insert(until - t0)
        }
        #expect(seen.count > 100)  // really random, not a constant
    }

    @Test("a late success from before the trip cannot close a half-open breaker")
    func staleSuccessInHalfOpen() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        var rng = SplitMix64(seed: 3)
        let earlyPermit = breaker.acquire()
        let early = try #require(earlyPermit)
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .seconds(1))
        #expect(breaker.record(.success, for: early, now: t0 + .seconds(1), using: &rng) == .none)
        #expect(breaker.state == .halfOpen)
        // A trial from a previous half-open period is stale too.
        let trialPermit = breaker.acquire()
        let trial = try #require(trialPermit)
        #expect(breaker.call(injected, at: t0 + .seconds(1)) == nil)  // the only trial slot is taken
        #expect(breaker.state == .halfOpen)
        breaker.release(trial)
        _ = breaker.call(injected, at: t0 + .seconds(1))
        #expect(breaker.state == .open)
        _ = breaker.tick(at: t0 + .seconds(5))
        #expect(breaker.record(.success, for: trial, now: t0 + .seconds(5), using: &rng) == .none)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.trialsInFlight == 0)
    }

    @Test("the action sequence of a full cycle: open, half-open, closed")
    func fullCycle() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        var actions: [BreakerAction] = []
        for n in 0..<5 { actions.append(breaker.call(injected, at: t0 + .milliseconds(n)) ?? .none) }
        actions.append(breaker.tick(at: t0 + .milliseconds(204)))
        actions.append(breaker.call(.success, at: t0 + .milliseconds(210)) ?? .none)
        #expect(
            actions == [
                .none, .none, .none, .none,
                .opened(until: t0 + .milliseconds(204), reason: "5 consecutive failures: internal 'injected error'"),
                .halfOpened, .closed,
            ])
    }

    @Test("status copies everything the dashboard shows")
    func status() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        let status = breaker.status(now: t0 + .milliseconds(50))
        #expect(status.state == .open)
        #expect(status.since == t0)
        #expect(status.reason == "5 consecutive failures: internal 'injected error'")
        #expect(status.openUntil == t0 + .milliseconds(200))
        #expect(status.cooldown == .milliseconds(200))
        #expect(status.consecutiveFailures == 5)
        #expect(status.tripCount == 1)
        #expect(status.trialsInFlight == 0)
        #expect(status.probe == .scheduled(at: t0 + .milliseconds(200)))
        #expect(status.timeUntilNextProbe == .milliseconds(150))
        #expect(BreakerState.allCases.map(\.description) == ["closed", "open", "half-open"])
    }
}
