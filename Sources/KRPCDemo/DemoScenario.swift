/// The seed's four experiments, as scenarios `demo-cluster/scenario` runs against a live cluster.
public enum DemoScenario: String, CaseIterable, Sendable {
    /// 300 calls over healthy nodes: round-robin gives each node a third (the seed: 200 calls, ~66 each).
    case balance
    /// The first node answers errors: it is BROKEN after its 5th failure, the others share the calls,
    /// and no call fails for the caller.
    case error
    /// The first node answers errors while the second hangs: both BROKEN, everything on the third,
    /// in seconds (the seed paid its 5 s timeout for every call to the hanging node).
    case errorAndTimeout = "error-and-timeout"
    /// The first node fails, then heals: HALF-OPEN, then HEALTHY again within one probe interval.
    case recover

    /// One line saying what the scenario does to the cluster.
    public var summary: String {
        switch self {
        case .balance: "300 calls over healthy nodes, round-robin"
        case .error: "the first node answers errors"
        case .errorAndTimeout: "the first node answers errors, the second hangs"
        case .recover: "the first node fails, then heals"
        }
    }

    /// How many nodes the scenario needs.
    public var minimumNodes: Int {
        switch self {
        case .balance, .error, .recover: 2
        case .errorAndTimeout: 3
        }
    }
}
