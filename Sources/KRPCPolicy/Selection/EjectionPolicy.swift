/// Decides which nodes the balancer may use, given whether each node's breaker admits calls, with a limit on how
/// many may be ejected at once and a panic mode beyond it.
///
/// A node is *ejected* when its breaker does not admit a call now (open, or half-open with every trial slot taken;
/// see ``CircuitBreaker/admits``). As long as no more than ``maxEjected`` nodes are ejected, the eligible set is the
/// admitting nodes. Past the limit — in particular when every node is broken — the channel is in *panic*: every node
/// is eligible, so calls are spread over all of them instead of all failing (calls to a node whose breaker does not
/// admit use ``CallPermit/bypass``).
///
/// The default limit, all but one, is the small-cluster rule from Envoy issue #3263 (a percentage limit misbehaves
/// on 2–3 hosts): with 3 nodes, 2 broken leaves the third serving alone without panic; only when the last one breaks
/// too does panic begin. With a single node, its breaking is panic.
public struct EjectionPolicy: Sendable, Hashable {
    /// How many nodes may be ejected at once.
    public enum Limit: Sendable, Hashable {
        /// All but one node (`n - 1`; 0 for a single node). The default.
        case allButOne
        /// At most this many nodes, whatever the cluster size (0 means any ejection is panic).
        case atMost(Int)

        /// The number of nodes that may be ejected out of `nodeCount`.
        public func allowed(nodeCount: Int) -> Int {
            switch self {
            case .allButOne: max(0, nodeCount - 1)
            case .atMost(let limit): max(0, min(limit, nodeCount))
            }
        }
    }

    /// The ejection limit. Default ``Limit/allButOne``.
    public var maxEjected: Limit

    /// Creates a policy; the default limit is all but one node.
    public init(maxEjected: Limit = .allButOne) {
        self.maxEjected = maxEjected
    }

    /// Checks the limit.
    /// - Throws: ``PolicyConfigurationError`` for `EjectionPolicy.maxEjected` when an `atMost` limit is negative.
    public func validate() throws {
        if case .atMost(let limit) = self.maxEjected {
            try Check.atLeast(limit, 0, "EjectionPolicy.maxEjected")
        }
    }

    /// Selects the eligible nodes, keeping the input order.
    /// - Parameter nodes: Every known node and whether its breaker admits a call now.
    public func select(_ nodes: [(address: NodeAddress, admits: Bool)]) -> NodeSelection {
        let ejected = nodes.filter { !$0.admits }.map(\.address)
        let allowed = self.maxEjected.allowed(nodeCount: nodes.count)
        let panic = ejected.count > allowed
        let eligible = panic ? nodes.map(\.address) : nodes.filter(\.admits).map(\.address)
        return NodeSelection(eligible: eligible, ejected: ejected, panic: panic, allowedEjections: allowed)
    }

    /// Selects the eligible nodes from their breakers, in address order. Tick the breakers first so that those whose
    /// cool-down has ended are half-open.
    public func select(_ breakers: [NodeAddress: CircuitBreaker]) -> NodeSelection {
        self.select(breakers.sorted { $0.key < $1.key }.map { (address: $0.key, admits: $0.value.admits) })
    }
}
