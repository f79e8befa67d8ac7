public import KRPC
public import KRPCPolicy

/// Reads what the dashboard shows from Redis, in one pipelined round trip per refresh: the per-node call
/// and error counts of one service method (`HGETALL` of both hashes) and each node's fault key (`GET` and
/// `PTTL`).
///
/// Never throws: when Redis cannot be read the snapshot says so (``RedisDashboardSnapshot/state`` and
/// ``RedisDashboardSnapshot/error``) and carries no data, so the caller keeps its last good one. Nothing
/// found in Redis crashes it: malformed count fields are listed, malformed fault values are flagged.
///
/// ```swift
/// let reader = RedisDashboardReader(client: client)
/// let snapshot = await reader.read(ServiceKey(service: "UserServiceRpc", method: "Login"), nodes: nodes)
/// for node in snapshot.nodes { print(node.node, node.calls ?? 0, node.fault?.value ?? "-") }
/// ```
public struct RedisDashboardReader: Sendable {
    /// The client reads go through (shared with a ``FaultInjector`` is fine).
    public let client: RedisClient

    /// Creates a reader over `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    /// Reads the counts of `key` and the fault keys of `nodes`.
    /// - Parameters:
    ///   - key: the service method whose counts to read.
    ///   - nodes: the nodes to report on, in the order wanted (usually the registry's membership).
    public func read(_ key: ServiceKey, nodes: [NodeAddress]) async -> RedisDashboardSnapshot {
        var commands = CallTotals.commands(for: key)
        for node in nodes {
            commands.append(RedisCommand("GET", RedisKeys.fault(node)))
            commands.append(RedisCommand("PTTL", RedisKeys.fault(node)))
        }
        let replies: [RedisValue]
        do throws(RedisError) {
            replies = try await self.client.pipeline(commands)
        } catch {
            return RedisDashboardSnapshot(state: self.client.state, error: error, totals: nil, nodes: [])
        }
        let totals = CallTotals.parse(key, calls: replies[0], errors: replies[1])
        var rows: [RedisDashboardSnapshot.Node] = []
        rows.reserveCapacity(nodes.count)
        for (index, node) in nodes.enumerated() {
            let base = 2 + 2 * index
            let (fault, _) = FaultKeyState.read(value: replies[base], pttl: replies[base + 1])
            rows.append(
                RedisDashboardSnapshot.Node(
                    node: node,
                    calls: totals.callsByNode[node],
                    errors: totals.errorsByNode[node],
                    fault: fault
                )
            )
        }
        return RedisDashboardSnapshot(state: self.client.state, error: nil, totals: totals, nodes: rows)
    }
}

/// One refresh's worth of Redis data for the dashboard.
public struct RedisDashboardSnapshot: Sendable, Hashable {
    /// What Redis holds about one node.
    public struct Node: Sendable, Hashable {
        /// The node.
        public var node: NodeAddress
        /// Calls it handled (cluster-wide count in Redis); `nil` when its field is absent or malformed.
        public var calls: Int?
        /// Calls it failed; `nil` when its field is absent or malformed.
        public var errors: Int?
        /// Its fault key; `nil` when absent (healthy). A malformed value has ``FaultKeyState/fault`` `nil`.
        public var fault: FaultKeyState?

        /// Creates a node entry.
        public init(node: NodeAddress, calls: Int?, errors: Int?, fault: FaultKeyState?) {
            self.node = node
            self.calls = calls
            self.errors = errors
            self.fault = fault
        }
    }

    /// The client's connection state after this read.
    public var state: RedisConnectionState
    /// Why the read failed; `nil` when it succeeded.
    public var error: RedisError?
    /// The whole counts of the method (every node in the hashes, also nodes not asked about, and what
    /// was malformed); `nil` when the read failed.
    public var totals: CallTotals?
    /// One entry per node asked about, in the same order; empty when the read failed.
    public var nodes: [Node]

    /// Creates a snapshot.
    public init(state: RedisConnectionState, error: RedisError?, totals: CallTotals?, nodes: [Node]) {
        self.state = state
        self.error = error
        self.totals = totals
        self.nodes = nodes
    }

    /// Whether the read succeeded.
    public var isSuccess: Bool { self.error == nil }
}
