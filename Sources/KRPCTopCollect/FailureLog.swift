import KRPC
public import KRPCPolicy
public import KRPCTopCore

/// The failures this client saw per node, newest first, for the node detail: told the channel's node list now and
/// then (krpc-top: once a second), it notes each node whose failure count grew, with the node's last error and how
/// many failures that was. Pure: the caller passes the time.
public struct FailureLog: Sendable {
    /// Failures kept per node.
    public static let limit = 20

    private var counts: [NodeAddress: Int] = [:]
    private var entries: [NodeAddress: [NodeDetail.Failure]] = [:]

    /// Creates an empty log.
    public init() {}

    /// Notes the failures since the last call.
    /// - Parameters:
    ///   - nodes: Each node's address, failure count since the channel first listed it (timeouts included), last
    ///     error.
    ///   - time: Seconds since 1970.
    public mutating func observe(
        _ nodes: [(address: NodeAddress, failures: Int, lastError: String?)], at time: Double
    ) {
        for node in nodes {
            // The channel counts from when it first listed the node (after the method was opened): a node seen for
            // the first time with failures has had them since.
            let before = self.counts[node.address] ?? 0
            self.counts[node.address] = node.failures
            guard node.failures > before else { continue }
            let message = node.lastError ?? "failed"
            var list = self.entries[node.address, default: []]
            if let first = list.first, first.message == message {
                list[0].count += node.failures - before
                list[0].time = time
            } else {
                list.insert(NodeDetail.Failure(time: time, message: message, count: node.failures - before), at: 0)
                if list.count > Self.limit { list.removeLast(list.count - Self.limit) }
            }
            self.entries[node.address] = list
        }
    }

    /// The node's failures, newest first.
    public func failures(of address: NodeAddress) -> [NodeDetail.Failure] {
        self.entries[address] ?? []
    }
}
