import KRPCPolicy
import Testing

@Suite("Circuit breaker: active health probes")
struct CircuitBreakerProbeTests {
    /// Long cool-downs, so only the probes can bring the node back quickly.
    let slowCooldown = exactBreaker(
        initialCooldown: .seconds(10),
        probe: HealthProbeConfiguration(interval: .seconds(1), timeout: .milliseconds(500))
    )

    @Test("a closed breaker asks for no probes")
    func closedIsIdle() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        #expect(breaker.probeStatus == .idle)
        #expect(breaker.nextProbeAt == nil)
        #expect(breaker.timeUntilNextProbe(now: t0) == nil)
        #expect(!breaker.probeDue(now: t0 + .seconds(100)))
        #expect(breaker.beginProbe(now: t0 + .seconds(100)) == nil)
    }

    @Test("probes recover a node without user traffic: half-open, then closed one interval later")
    func probeDrivenRecovery() throws {
        var breaker = CircuitBreaker(configuration: self.slowCooldown, now: t0)
        breaker.trip(at: t0)
        #expect(breaker.nextProbeAt == t0 + .seconds(1))  // the interval comes before the 10 s cool-down end
        #expect(breaker.timeUntilNextProbe(now: t0 + .milliseconds(250)) == .milliseconds(750))
        #expect(!breaker.probeDue(now: t0 + .milliseconds(999)))
        #expect(breaker.beginProbe(now: t0 + .milliseconds(999)) == nil)

        let firstProbe = breaker.beginProbe(now: t0 + .seconds(1))
        let first = try #require(firstProbe)
        #expect(first.startedAt == t0 + .seconds(1))
        #expect(first.deadline == t0 + .milliseconds(1_500))
        #expect(breaker.probeStatus == .inFlight(startedAt: t0 + .seconds(1), deadline: t0 + .milliseconds(1_500)))
        #expect(breaker.timeUntilNextProbe(now: t0 + .seconds(1)) == .zero)
        #expect(breaker.beginProbe(now: t0 + .seconds(1)) == nil)  // one at a time

        var actions = [breaker.probeResult(.success, first, at: t0 + .milliseconds(1_010))]
        #expect(breaker.state == .halfOpen)
        #expect(breaker.nextProbeAt == t0 + .seconds(2))
        let secondProbe = breaker.beginProbe(now: t0 + .seconds(2))
        let second = try #require(secondProbe)
        actions.append(breaker.probeResult(.success, second, at: t0 + .milliseconds(2_010)))
        #expect(actions == [.halfOpened, .closed])
        #expect(breaker.state == .closed)
        #expect(breaker.probeStatus == .idle)
        #expect(breaker.lastProbeOutcome == .success)
    }

    @Test("a failed probe leaves an open breaker open without growing its cool-down")
    func failedProbeWhileOpen() throws {
        var breaker = CircuitBreaker(configuration: self.slowCooldown, now: t0)
        breaker.trip(at: t0)
        let begun = breaker.beginProbe(now: t0 + .seconds(1))
        let ticket = try #require(begun)
        let refused = CallOutcome.failure(kind: .transport, message: "connection refused")
        #expect(breaker.probeResult(refused, ticket, at: t0 + .milliseconds(1_001)) == .none)
        #expect(breaker.state == .open)
        #expect(breaker.openUntil == t0 + .seconds(10))
        #expect(breaker.tripCount == 1)
        #expect(breaker.reason == "5 consecutive failures: internal 'injected error'")
        #expect(breaker.lastProbeOutcome == refused)
        #expect(breaker.nextProbeAt == t0 + .seconds(2))
    }

    @Test("a failed probe re-opens a half-open breaker with the longer cool-down")
    func failedProbeWhileHalfOpen() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        #expect(breaker.tick(at: t0 + .milliseconds(200)) == .halfOpened)
        let begun = breaker.beginProbe(now: t0 + .milliseconds(200))
        let ticket = try #require(begun)
        let action = breaker.probeResult(
            .failure(kind: .unavailable, message: "not serving"),
            ticket,
            at: t0 + .milliseconds(210)
        )
        let reason = "health probe failed: unavailable 'not serving'"
        #expect(action == .opened(until: t0 + .milliseconds(610), reason: reason))
        #expect(breaker.reason == reason)
        #expect(breaker.tripCount == 2)
        // The next probe comes with the end of this cool-down, sooner than the 1 s interval.
        #expect(breaker.nextProbeAt == t0 + .milliseconds(610))
    }

    @Test("every cool-down end brings a probe, even when the interval is longer")
    func cooldownEndProbe() {
        let config = exactBreaker(probe: HealthProbeConfiguration(interval: .seconds(5), timeout: .milliseconds(100)))
        var breaker = CircuitBreaker(configuration: config, now: t0)
        breaker.trip(at: t0)
        #expect(breaker.nextProbeAt == t0 + .milliseconds(200))
        // The tick to half-open before the probe is begun does not lose the owed probe.
        #expect(breaker.tick(at: t0 + .milliseconds(200)) == .halfOpened)
        #expect(breaker.probeDue(now: t0 + .milliseconds(200)))
    }

    @Test("an unanswered probe fails at its deadline and its late answer is ignored")
    func probeTimeout() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .milliseconds(200))
        let begun = breaker.beginProbe(now: t0 + .milliseconds(200))
        let ticket = try #require(begun)
        #expect(breaker.tick(at: t0 + .milliseconds(699)) == .none)
        let action = breaker.tick(at: t0 + .milliseconds(700))
        let reason = "health probe failed: deadline exceeded 'no answer within 500ms'"
        #expect(action == .opened(until: t0 + .milliseconds(1_100), reason: reason))
        // The ticket's own wording of that outcome, which a channel reports when the call's deadline ends it first.
        #expect(breaker.lastProbeOutcome == ticket.unanswered)
        #expect(breaker.probeResult(.success, ticket, at: t0 + .milliseconds(800)) == .none)
        #expect(breaker.state == .open)
    }

    @Test("an unanswered probe of an open breaker times out quietly, then the cool-down still ends")
    func probeTimeoutWhileOpen() throws {
        var breaker = CircuitBreaker(configuration: self.slowCooldown, now: t0)
        breaker.trip(at: t0)
        let begun = breaker.beginProbe(now: t0 + .seconds(1))
        _ = try #require(begun)
        #expect(breaker.tick(at: t0 + .milliseconds(1_500)) == .none)
        #expect(breaker.lastProbeOutcome == .failure(kind: .deadlineExceeded, message: "no answer within 500ms"))
        #expect(breaker.nextProbeAt == t0 + .seconds(2))
        #expect(breaker.tick(at: t0 + .seconds(10)) == .halfOpened)
    }

    @Test("a probe answered after a trial call closed the breaker is ignored")
    func probeAfterRecovery() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .milliseconds(200))
        let begun = breaker.beginProbe(now: t0 + .milliseconds(200))
        let ticket = try #require(begun)
        #expect(breaker.call(.success, at: t0 + .milliseconds(201)) == .closed)
        #expect(breaker.probeResult(injected, ticket, at: t0 + .milliseconds(202)) == .none)
        #expect(breaker.state == .closed)
    }

    @Test("without a probe configuration the breaker recovers by cool-down and trial calls only")
    func probingDisabled() {
        var breaker = CircuitBreaker(configuration: exactBreaker(probe: nil), now: t0)
        breaker.trip(at: t0)
        #expect(breaker.probeStatus == .idle)
        #expect(breaker.beginProbe(now: t0 + .seconds(60)) == nil)
        #expect(breaker.tick(at: t0 + .milliseconds(200)) == .halfOpened)
        #expect(breaker.call(.success, at: t0 + .milliseconds(201)) == .closed)
    }

    @Test("probes continue every interval while a flapping node keeps re-tripping")
    func probesKeepCadence() throws {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        breaker.trip(at: t0)
        var now = t0
        var probeStarts: [Duration] = []
        // Trial calls fail at every cool-down end; probes fail too. Walk 5 s in 10 ms steps.
        while now < t0 + .seconds(5) {
            now += .milliseconds(10)
            _ = breaker.tick(at: now)
            if let ticket = breaker.beginProbe(now: now) {
                probeStarts.append(now - t0)
                _ = breaker.probeResult(.failure(kind: .transport, message: ""), ticket, at: now)
            }
            _ = breaker.call(injected, at: now)
        }
        // Never two probes closer than the shortest cool-down, never a gap longer than the interval.
        let gaps = zip(probeStarts.dropFirst(), probeStarts).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 <= .seconds(1) })
        #expect(probeStarts.first == .milliseconds(200))
        #expect(probeStarts.count >= 5)
    }
}
