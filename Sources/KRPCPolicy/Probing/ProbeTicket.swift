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

    /// The outcome of this probe when no answer came by ``deadline``: `no answer within 500ms`.
    ///
    /// The breaker records it on its own when the deadline passes unreported. A channel reports it when one of
    /// the call's own deadlines ended the probe first (its connection's timer, or the server answering
    /// deadline-exceeded). Those fire at the same instant, so which comes first varies from probe to probe. With
    /// one wording for the one fact, the reasons of a node that keeps timing out are equal, and a dashboard folds
    /// its cycles into one line.
    public var unanswered: CallOutcome {
        let timeout = self.deadline - self.startedAt
        return .failure(kind: .deadlineExceeded, message: "no answer within \(timeout.compactDescription)")
    }
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
