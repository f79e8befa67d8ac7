/// Limits failover retries and hedges to a fraction of the traffic, over a sliding window (as Finagle's and
/// Linkerd's retry budgets).
///
/// Within the last ``RetryBudgetConfiguration/window``, retries may number at most
/// `ratio × requests + minRetriesPerSecond × window seconds` (rounded down). The channel records every original call
/// with ``recordRequest(now:)`` and asks ``tryRetry(now:)`` before each retry or hedge; a `true` answer has already
/// counted that retry. Time is the explicit `now`. Keep one budget per channel, inside its lock.
///
/// ```swift
/// budget.recordRequest(now: clock.now)
/// …
/// if budget.tryRetry(now: clock.now) { /* send the retry */ }
/// ```
public struct RetryBudget: Sendable, Hashable {
    /// The budget's size.
    public let configuration: RetryBudgetConfiguration
    /// Requests (first) and retries (second).
    private var counts: SlidingWindowCounter

    /// Creates an empty budget (only the per-second floor is available).
    public init(configuration: RetryBudgetConfiguration = RetryBudgetConfiguration()) {
        self.configuration = configuration
        self.counts = SlidingWindowCounter(window: configuration.window, bucketCount: configuration.buckets)
    }

    /// Counts one original (non-retry) call at `now`.
    public mutating func recordRequest(now: ContinuousClock.Instant) {
        self.counts.add(first: 1, now: now)
    }

    /// Whether a retry would be allowed at `now` (without counting one).
    public func canRetry(now: ContinuousClock.Instant) -> Bool {
        self.availableRetries(now: now) > 0
    }

    /// Counts a retry and returns `true` if the budget allows one at `now`; returns `false` and counts nothing
    /// otherwise.
    public mutating func tryRetry(now: ContinuousClock.Instant) -> Bool {
        guard self.canRetry(now: now) else { return false }
        self.counts.add(second: 1, now: now)
        return true
    }

    /// How many more retries the budget allows at `now`.
    public func availableRetries(now: ContinuousClock.Instant) -> Int {
        let (requests, retries) = self.counts.totals(now: now)
        let ratio = self.configuration.ratio.isFinite ? max(0, self.configuration.ratio) : 0
        let floorRate =
            self.configuration.minRetriesPerSecond.isFinite ? max(0, self.configuration.minRetriesPerSecond) : 0
        let allowance = ratio * Double(requests) + floorRate * self.counts.window.policySeconds
        // A hair of slack absorbs binary rounding (0.2 × 10 must allow 2, not 1.9999…).
        let whole = Int(min(Double(Int32.max), (allowance + 1e-9).rounded(.down)))
        return max(0, whole - retries)
    }

    /// The requests and retries counted in the window at `now` (for the dashboard).
    public func counted(now: ContinuousClock.Instant) -> (requests: Int, retries: Int) {
        let (requests, retries) = self.counts.totals(now: now)
        return (requests, retries)
    }
}
