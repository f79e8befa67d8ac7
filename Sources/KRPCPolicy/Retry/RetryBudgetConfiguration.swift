/// The size of a ``RetryBudget``: retries may add at most ``ratio`` extra load, plus a small floor.
public struct RetryBudgetConfiguration: Sendable, Hashable {
    /// Retries (and hedges) allowed per original request in the window, in `0...1`. Default 0.2 (20 % extra load).
    public var ratio: Double
    /// Retries per second allowed regardless of traffic, so a quiet client can still fail over. Default 5.
    public var minRetriesPerSecond: Double
    /// The sliding window requests and retries are counted over. Default 10 s.
    public var window: Duration
    /// The number of buckets the window slides by. Default 10.
    public var buckets: Int

    /// Creates a configuration; every field has a default.
    public init(
        ratio: Double = 0.2, minRetriesPerSecond: Double = 5, window: Duration = .seconds(10), buckets: Int = 10
    ) {
        self.ratio = ratio
        self.minRetriesPerSecond = minRetriesPerSecond
        self.window = window
        self.buckets = buckets
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming the first invalid field.
    public func validate() throws {
        let path = "RetryBudgetConfiguration"
        try Check.within(self.ratio, 0...1, "\(path).ratio")
        try Check.within(self.minRetriesPerSecond, 0...1_000_000, "\(path).minRetriesPerSecond")
        try Check.positive(self.window, "\(path).window")
        try Check.atLeast(self.buckets, 1, "\(path).buckets")
    }
}
