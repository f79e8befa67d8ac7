import KRPCPolicy
import Testing

@Suite("Circuit breaker: closed to open")
struct CircuitBreakerTripTests {
    @Test("five consecutive failures open the breaker with the seed's reason")
    func consecutiveFailuresTrip() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        for n in 1...4 {
            #expect(breaker.call(injected, at: t0 + .milliseconds(n)) == BreakerAction.none)
            #expect(breaker.consecutiveFailures == n)
        }
        #expect(breaker.state == .closed)
        let action = breaker.call(injected, at: t0 + .milliseconds(5))
        let reason = "5 consecutive failures: internal 'injected error'"
        #expect(action == .opened(until: t0 + .milliseconds(205), reason: reason))
        #expect(breaker.state == .open)
        #expect(breaker.since == t0 + .milliseconds(5))
        #expect(breaker.reason == reason)
        #expect(breaker.openUntil == t0 + .milliseconds(205))
        #expect(breaker.currentCooldown == .milliseconds(200))
        #expect(breaker.tripCount == 1)
        #expect(!breaker.admits)
        #expect(breaker.acquire() == nil)
    }

    @Test("a success resets the consecutive count")
    func successResets() {
        var breaker = CircuitBreaker(configuration: exactBreaker(failureRate: nil), now: t0)
        for _ in 0..<4 { _ = breaker.call(injected, at: t0) }
        #expect(breaker.call(.success, at: t0) == BreakerAction.none)
        #expect(breaker.consecutiveFailures == 0)
        for _ in 0..<4 { _ = breaker.call(injected, at: t0) }
        #expect(breaker.state == .closed)
        #expect(breaker.tripCount == 0)
    }

    @Test(
        "the failure threshold is configurable",
        arguments: [1, 2, 3, 7]
    )
    func thresholdConfigurable(threshold: Int) {
        var breaker = CircuitBreaker(configuration: exactBreaker(failureThreshold: threshold), now: t0)
        var actions: [BreakerAction?] = []
        for _ in 0..<threshold { actions.append(breaker.call(injected, at: t0)) }
        #expect(actions.dropLast().allSatisfy { $0 == BreakerAction.none })
        #expect(breaker.state == .open)
        #expect(breaker.reason == "\(threshold) consecutive failures: internal 'injected error'")
    }

    static let rateCases: [(successes: Int, failures: Int, reason: String?)] = [
        (12, 12, "failure rate 50% over 10s (24 calls): deadline exceeded"),
        (1, 19, "failure rate 95% over 10s (20 calls): deadline exceeded"),
        (8, 12, "failure rate 60% over 10s (20 calls): deadline exceeded"),
        (30, 29, nil),  // 49 %
        (0, 19, nil),  // 100 %, but fewer than 20 calls
    ]

    @Test("the failure rate over the window trips once enough calls were seen", arguments: rateCases)
    func failureRateTrips(successes: Int, failures: Int, reason: String?) {
        var breaker = CircuitBreaker(configuration: exactBreaker(failureThreshold: 100), now: t0)
        var tick = 0
        for _ in 0..<successes {
            _ = breaker.call(.success, at: t0 + .milliseconds(100 * tick))
            tick += 1
        }
        var actions: [BreakerAction] = []
        for _ in 0..<failures {
            let outcome = CallOutcome.failure(kind: .deadlineExceeded, message: "")
            actions.append(breaker.call(outcome, at: t0 + .milliseconds(100 * tick)) ?? .none)
            tick += 1
        }
        if let reason {
            // It trips exactly on the last failure, not before.
            #expect(actions.dropLast().allSatisfy { $0 == .none })
            #expect(actions.last == .opened(until: t0 + .milliseconds(100 * (tick - 1) + 200), reason: reason))
            #expect(breaker.reason == reason)
        } else {
            #expect(actions.allSatisfy { $0 == .none })
            #expect(breaker.state == .closed)
        }
    }

    @Test("failures older than the window no longer count towards the rate")
    func rateWindowSlides() {
        var breaker = CircuitBreaker(configuration: exactBreaker(failureThreshold: 1_000), now: t0)
        for n in 0..<19 { _ = breaker.call(injected, at: t0 + .milliseconds(n)) }
        // 11 s later the first 19 failures have left the 10 s window: 1 failure in 1 call is below the minimum.
        #expect(breaker.call(injected, at: t0 + .seconds(11)) == BreakerAction.none)
        #expect(breaker.state == .closed)
        // Within the window it trips at 20 calls.
        for n in 1..<19 { _ = breaker.call(injected, at: t0 + .seconds(11) + .milliseconds(n)) }
        let last = breaker.call(injected, at: t0 + .seconds(11) + .milliseconds(19))
        let reason = "failure rate 100% over 10s (20 calls): internal 'injected error'"
        #expect(last == .opened(until: t0 + .seconds(11) + .milliseconds(219), reason: reason))
    }

    @Test("the rate rule can be disabled")
    func rateDisabled() {
        var breaker = CircuitBreaker(configuration: exactBreaker(failureThreshold: 1_000, failureRate: nil), now: t0)
        for n in 0..<100 {
            _ = breaker.call(n.isMultiple(of: 4) ? .success : injected, at: t0 + .milliseconds(n))
        }
        #expect(breaker.state == .closed)
    }

    @Test("the consecutive rule is checked before the rate rule")
    func consecutiveBeforeRate() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        for n in 0..<15 { _ = breaker.call(.success, at: t0 + .milliseconds(n)) }
        for n in 0..<5 { _ = breaker.call(injected, at: t0 + .milliseconds(20 + n)) }
        #expect(breaker.reason == "5 consecutive failures: internal 'injected error'")
    }

    @Test("calls admitted before the trip cannot prolong the cool-down")
    func stalePermitsIgnored() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        var rng = SplitMix64(seed: 7)
        var permits: [CallPermit] = []
        for _ in 0..<10 {
            let permit = breaker.acquire()
            permits.append(try #require(permit))
        }
        var actions: [BreakerAction] = []
        for (n, permit) in permits.enumerated() {
            actions.append(breaker.record(injected, for: permit, now: t0 + .milliseconds(n), using: &rng))
        }
        #expect(actions.filter { $0 != .none }.count == 1)
        #expect(breaker.tripCount == 1)
        #expect(breaker.openUntil == t0 + .milliseconds(204))
    }

    @Test("a bypass permit (panic mode) changes nothing")
    func bypassIgnored() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        var rng = SplitMix64(seed: 7)
        for _ in 0..<10 {
            #expect(breaker.record(injected, for: .bypass, now: t0, using: &rng) == .none)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        breaker.trip(at: t0)
        #expect(breaker.record(.success, for: .bypass, now: t0, using: &rng) == .none)
        #expect(breaker.state == .open)
    }

    @Test("the reason quotes the message, flattened to one line and bounded")
    func failureDescriptions() {
        #expect(CallOutcome.failure(kind: .transport, message: "").failureDescription == "transport")
        #expect(CallOutcome.failure(kind: .unavailable, message: "  x\ny ").failureDescription == "unavailable 'x y'")
        let long = CallOutcome.failure(kind: .other, message: String(repeating: "z", count: 500)).failureDescription
        #expect(long == "other '" + String(repeating: "z", count: 119) + "…'")
        #expect(CallOutcome.success.failureDescription == nil)
        #expect(
            FailureKind.allCases.map(\.description) == [
                "transport", "unavailable", "internal", "deadline exceeded", "other",
            ])
    }
}
