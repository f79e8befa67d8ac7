import KRPCPolicy

/// The origin every test measures from; instants are built as `t0 + .milliseconds(n)`.
let t0 = ContinuousClock.now

/// Node addresses in ascending order, so address-ordered policies have predictable sequences.
let nodeA = NodeAddress(host: "10.0.0.1", port: 8000)
let nodeB = NodeAddress(host: "10.0.0.2", port: 9000)
let nodeC = NodeAddress(host: "10.0.0.3", port: 10000)
let nodeD = NodeAddress(host: "10.0.0.4", port: 11000)

/// Breaker settings without jitter, so cool-downs are exact.
func exactBreaker(
    failureThreshold: Int = 5,
    failureRate: FailureRateConfiguration? = FailureRateConfiguration(),
    initialCooldown: Duration = .milliseconds(200),
    halfOpenMaxTrials: Int = 1,
    halfOpenSuccessThreshold: Int = 1,
    probe: HealthProbeConfiguration? = HealthProbeConfiguration()
) -> BreakerConfiguration {
    BreakerConfiguration(
        failureThreshold: failureThreshold,
        failureRate: failureRate,
        cooldown: Backoff(initial: initialCooldown, max: .seconds(30), multiplier: 2, jitter: 0),
        halfOpenMaxTrials: halfOpenMaxTrials,
        halfOpenSuccessThreshold: halfOpenSuccessThreshold,
        probe: probe
    )
}

let injected = CallOutcome.failure(kind: .internal, message: "injected error")

extension CircuitBreaker {
    /// Admits one call and records its outcome at once; `nil` when the breaker does not admit it.
    mutating func call(_ outcome: CallOutcome, at now: ContinuousClock.Instant) -> BreakerAction? {
        var rng = SplitMix64(seed: 1)
        guard let permit = self.acquire() else { return nil }
        return self.record(outcome, for: permit, now: now, using: &rng)
    }

    /// Ticks with a throwaway generator (the exact configurations never draw from it).
    mutating func tick(at now: ContinuousClock.Instant) -> BreakerAction {
        var rng = SplitMix64(seed: 1)
        return self.tick(now: now, using: &rng)
    }

    /// Records a probe result with a throwaway generator.
    mutating func probeResult(_ outcome: CallOutcome, _ ticket: ProbeTicket, at now: ContinuousClock.Instant)
        -> BreakerAction
    {
        var rng = SplitMix64(seed: 1)
        return self.recordProbe(outcome, for: ticket, now: now, using: &rng)
    }

    /// Opens a closed breaker with `failureThreshold` injected failures at `now`.
    mutating func trip(at now: ContinuousClock.Instant) {
        for _ in 0..<self.configuration.failureThreshold { _ = self.call(injected, at: now) }
    }
}

/// Counts how often each address was picked.
func tally(_ picks: [NodeAddress?]) -> [NodeAddress: Int] {
    picks.reduce(into: [:]) { counts, pick in
        if let pick { counts[pick, default: 0] += 1 }
    }
}

/// Candidates at weight 1, no load, full share.
func candidates(_ addresses: NodeAddress...) -> [BalancerCandidate] {
    addresses.map { BalancerCandidate(address: $0) }
}
