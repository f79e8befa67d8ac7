/// When a ``CircuitBreaker`` asks the channel to probe its node with a health check.
///
/// While a breaker is open or half-open, one probe at a time is due at the earlier of: the end of the current
/// cool-down (so every cool-down ends with a probe), and ``interval`` after the previous probe started (or after the
/// trip, for the first probe). A probe
/// still unanswered ``timeout`` after it started counts as failed (`deadline exceeded`) at the next
/// ``CircuitBreaker/tick(now:using:)``. Defaults: every 1 s, 500 ms timeout.
public struct HealthProbeConfiguration: Sendable, Hashable {
    /// The time between the starts of consecutive probes. Default 1 s.
    public var interval: Duration
    /// How long a probe may go unanswered before it counts as failed. Default 500 ms.
    public var timeout: Duration

    /// Creates a probe schedule; every field has a default.
    public init(interval: Duration = .seconds(1), timeout: Duration = .milliseconds(500)) {
        self.interval = interval
        self.timeout = timeout
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming the first invalid field.
    public func validate() throws {
        try self.validate(path: "HealthProbeConfiguration")
    }

    func validate(path: String) throws {
        try Check.positive(self.interval, "\(path).interval")
        try Check.positive(self.timeout, "\(path).timeout")
    }
}
