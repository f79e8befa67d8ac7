/// The three states of a ``CircuitBreaker``.
public enum BreakerState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Healthy: every call is admitted and counted.
    case closed
    /// Broken: no calls are admitted until the cool-down ends or a health probe succeeds.
    case open
    /// Recovering: a bounded number of trial calls are admitted; enough successes close the breaker.
    case halfOpen = "half-open"

    /// `closed`, `open` or `half-open`.
    public var description: String { self.rawValue }
}
