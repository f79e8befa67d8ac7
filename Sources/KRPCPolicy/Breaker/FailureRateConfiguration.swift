/// The failure-rate trip rule of a ``CircuitBreaker``: open when too many recent calls failed.
///
/// The rate is measured over a sliding window of ``window`` split into ``buckets`` buckets, and checked after each
/// failure of a closed breaker. It trips when at least ``minimumCalls`` outcomes fall in the window and
/// `failures / calls ≥ threshold`. Defaults: 50 % over 10 s with at least 20 calls, 1 s buckets.
public struct FailureRateConfiguration: Sendable, Hashable {
    /// The failure ratio that trips the breaker, in `0...1` (0.5 = 50 %). Default 0.5.
    public var threshold: Double
    /// The length of the sliding window. Default 10 s.
    public var window: Duration
    /// The fewest calls in the window for the rate to count (a handful of calls proves nothing). Default 20.
    public var minimumCalls: Int
    /// The number of buckets the window slides by. Default 10.
    public var buckets: Int

    /// Creates a rule; every field has a default.
    public init(threshold: Double = 0.5, window: Duration = .seconds(10), minimumCalls: Int = 20, buckets: Int = 10) {
        self.threshold = threshold
        self.window = window
        self.minimumCalls = minimumCalls
        self.buckets = buckets
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming the first invalid field.
    public func validate() throws {
        try self.validate(path: "FailureRateConfiguration")
    }

    func validate(path: String) throws {
        guard self.threshold.isFinite, self.threshold > 0, self.threshold <= 1 else {
            throw PolicyConfigurationError(
                field: "\(path).threshold", message: "must be within (0, 1] (got \(self.threshold))")
        }
        try Check.positive(self.window, "\(path).window")
        try Check.atLeast(self.minimumCalls, 1, "\(path).minimumCalls")
        try Check.atLeast(self.buckets, 1, "\(path).buckets")
    }
}
