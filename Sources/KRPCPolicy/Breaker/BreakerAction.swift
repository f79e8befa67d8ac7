/// What changed in a ``CircuitBreaker`` after an event: the channel turns it into an event on its stream and a log.
public enum BreakerAction: Sendable, Hashable {
    /// Nothing changed state.
    case none
    /// The breaker (re-)opened: no calls until `until` (the jittered cool-down end) or a successful probe.
    /// `reason` is the human reason, e.g. `5 consecutive failures: internal 'injected error'`.
    case opened(until: ContinuousClock.Instant, reason: String)
    /// The breaker went half-open: trial calls may now be admitted.
    case halfOpened
    /// The breaker closed: the node is healthy again (the channel should start its slow start).
    case closed
}
