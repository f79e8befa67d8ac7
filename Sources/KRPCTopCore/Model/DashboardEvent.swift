public import KRPCPolicy

/// One entry of the dashboard's event log: a breaker transition, a membership change, a ZooKeeper or
/// Redis state change, a fault set or cleared, panic mode on or off.
public struct DashboardEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The node's breaker moved between states.
        case transition(from: NodeState, to: NodeState)
        /// The node appeared in the registry.
        case joined
        /// The node left the registry.
        case left
        /// The ZooKeeper session changed state.
        case zookeeper(LinkState)
        /// The Redis connection changed state.
        case redis(LinkState)
        /// A fault was set on the node (the fault key's value, e.g. `error`).
        case faultSet(String)
        /// The node's fault was cleared (or expired).
        case faultCleared
        /// The channel entered (`true`) or left (`false`) panic mode.
        case panic(Bool)

        /// The `kind` spelling in JSON: `transition`, `joined`, `left`, `zookeeper`, `redis`, `fault-set`,
        /// `fault-cleared` or `panic`.
        public var jsonName: String {
            switch self {
            case .transition: "transition"
            case .joined: "joined"
            case .left: "left"
            case .zookeeper: "zookeeper"
            case .redis: "redis"
            case .faultSet: "fault-set"
            case .faultCleared: "fault-cleared"
            case .panic: "panic"
            }
        }
    }

    /// When it happened, in seconds since 1970-01-01 UTC (`Date().timeIntervalSince1970`).
    public var time: Double
    /// The node concerned, or `nil` for cluster-wide events (ZooKeeper, Redis, panic).
    public var node: NodeAddress?
    /// What happened.
    public var kind: Kind
    /// Why, e.g. `5 consecutive failures: internal 'injected error'`; `nil` when there is nothing to add.
    public var reason: String?

    /// Creates an event record.
    public init(time: Double, node: NodeAddress? = nil, kind: Kind, reason: String? = nil) {
        self.time = time
        self.node = node
        self.kind = kind
        self.reason = reason
    }
}
