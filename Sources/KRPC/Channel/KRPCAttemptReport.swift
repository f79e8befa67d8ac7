public import KRPCPolicy

/// How one attempt on one node ended, as ``KRPCChannel/Configuration/attemptObserver`` is told: the node, the
/// outcome and the time it took. The channel's own counters (``NodeSnapshot/successes``, ``NodeSnapshot/failures``,
/// ``NodeSnapshot/timeouts``) count the same attempts; a dashboard uses the reports to keep its own windows and
/// latency histograms.
public struct KRPCAttemptReport: Sendable, Hashable {
    /// How the attempt ended.
    public enum Outcome: Sendable, Hashable {
        /// The node answered successfully.
        case success
        /// The attempt failed in a way that counts against the node, other than running out of time.
        case failure
        /// The attempt ran out of time (``KRPCError/Code/deadlineExceeded``).
        case timeout
    }

    /// The node the attempt went to.
    public var node: NodeAddress
    /// How it ended.
    public var outcome: Outcome
    /// From sending the attempt to its end.
    public var latency: Duration
    /// When it ended.
    public var endedAt: ContinuousClock.Instant

    /// Creates a report.
    public init(node: NodeAddress, outcome: Outcome, latency: Duration, endedAt: ContinuousClock.Instant) {
        self.node = node
        self.outcome = outcome
        self.latency = latency
        self.endedAt = endedAt
    }
}
