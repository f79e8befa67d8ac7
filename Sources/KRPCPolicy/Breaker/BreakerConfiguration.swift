/// The settings of a ``CircuitBreaker``. Every field has a default taken from the seed or the issue.
///
/// ```swift
/// var config = BreakerConfiguration()          // 5 consecutive failures, 200 ms first cool-down, …
/// config.failureRate = nil                     // consecutive failures only
/// try config.validate()
/// ```
public struct BreakerConfiguration: Sendable, Hashable {
    /// Consecutive counted failures that open a closed breaker. Default 5 (the seed's).
    public var failureThreshold: Int
    /// The failure-rate trip rule, or `nil` to trip on consecutive failures only. Default 50 % / 10 s / 20 calls.
    public var failureRate: FailureRateConfiguration?
    /// The cool-down schedule: the first open lasts `initial` (200 ms, the seed's first half-open), each re-trip
    /// without a stable recovery in between multiplies it by `multiplier` (2), capped at `max` (30 s), each value
    /// jittered by ±`jitter` (20 %).
    public var cooldown: Backoff
    /// How long a breaker must stay closed before its cool-down schedule starts again at `cooldown.initial`.
    /// A node that trips again sooner is flapping and gets the next, longer cool-down. Default 10 s.
    public var cooldownResetAfter: Duration
    /// The most trial calls a half-open breaker admits at the same time. Default 1.
    public var halfOpenMaxTrials: Int
    /// Successes (trial calls or health probes) needed in half-open to close. Default 1 (the seed's).
    public var halfOpenSuccessThreshold: Int
    /// The active health-probe schedule for open and half-open breakers, or `nil` to recover by user trial calls
    /// only. Default every 1 s with a 500 ms timeout.
    public var probe: HealthProbeConfiguration?

    /// Creates a configuration; every field has a default.
    public init(
        failureThreshold: Int = 5,
        failureRate: FailureRateConfiguration? = FailureRateConfiguration(),
        cooldown: Backoff = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: 0.2),
        cooldownResetAfter: Duration = .seconds(10),
        halfOpenMaxTrials: Int = 1,
        halfOpenSuccessThreshold: Int = 1,
        probe: HealthProbeConfiguration? = HealthProbeConfiguration()
    ) {
        self.failureThreshold = failureThreshold
        self.failureRate = failureRate
        self.cooldown = cooldown
        self.cooldownResetAfter = cooldownResetAfter
        self.halfOpenMaxTrials = halfOpenMaxTrials
        self.halfOpenSuccessThreshold = halfOpenSuccessThreshold
        self.probe = probe
    }

    /// Checks every field, including the nested ones.
    /// - Throws: ``PolicyConfigurationError`` naming the first invalid field, e.g.
    ///   `BreakerConfiguration.failureThreshold` or `BreakerConfiguration.cooldown.jitter`.
    public func validate() throws {
        let path = "BreakerConfiguration"
        try Check.atLeast(self.failureThreshold, 1, "\(path).failureThreshold")
        try self.failureRate?.validate(path: "\(path).failureRate")
        try self.cooldown.validate(path: "\(path).cooldown")
        try Check.nonNegative(self.cooldownResetAfter, "\(path).cooldownResetAfter")
        try Check.atLeast(self.halfOpenMaxTrials, 1, "\(path).halfOpenMaxTrials")
        try Check.atLeast(self.halfOpenSuccessThreshold, 1, "\(path).halfOpenSuccessThreshold")
        try self.probe?.validate(path: "\(path).probe")
    }
}
