/// One health probe the channel should send now, handed out by ``CircuitBreaker/beginProbe(now:)``.
///
/// Report its result with ``CircuitBreaker/recordProbe(_:for:now:using:)``. The channel should cancel the probe at
/// ``deadline``; if it does not report by then, the breaker counts it as failed on its own.
public struct ProbeTicket: Sendable, Hashable {
    /// Identifies the probe within its breaker; results for any other ticket are ignored.
    let id: UInt64
    /// When the probe was started.
    public let startedAt: ContinuousClock.Instant
    /// When the probe counts as failed if still unanswered (`startedAt + timeout`).
    public let deadline: ContinuousClock.Instant
}

/// Where a breaker's health probing stands, for the dashboard's countdown.
public enum ProbeStatus: Sendable, Hashable {
    /// The breaker is closed (or probing is disabled): no probes.
    case idle
    /// The next probe is due at the given instant (it may already be due).
    case scheduled(at: ContinuousClock.Instant)
    /// A probe is in flight; it counts as failed at `deadline`.
    case inFlight(startedAt: ContinuousClock.Instant, deadline: ContinuousClock.Instant)
}
