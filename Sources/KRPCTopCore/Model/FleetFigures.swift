/// How the fleet of clients sees one node: this client's live view plus every other client's published view
/// (`krpc:view:*`). The table's FLEET column and the `--once --json` per-node `fleet` object.
public struct FleetFigures: Sendable, Hashable {
    /// One client's view of the node.
    public struct Entry: Sendable, Hashable {
        /// The client's id, `<host>:<pid>:<name>`.
        public var client: String
        /// How that client's breaker sees the node.
        public var state: NodeState
        /// Why, when that client said.
        public var reason: String?
        /// The entry is this client's own view.
        public var isSelf: Bool

        /// Creates an entry.
        public init(client: String, state: NodeState, reason: String? = nil, isSelf: Bool = false) {
            self.client = client
            self.state = state
            self.reason = reason
            self.isSelf = isSelf
        }
    }

    /// Every live client that knows the node, this one first.
    public var entries: [Entry]

    /// Creates the figures of `entries`.
    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Live clients that know the node.
    public var clients: Int { self.entries.count }
    /// Of ``clients``, those that see the node healthy.
    public var healthy: Int { self.count(.healthy) }
    /// Of ``clients``, those that see it half-open.
    public var halfOpen: Int { self.count(.halfOpen) }
    /// Of ``clients``, those that see it broken.
    public var broken: Int { self.count(.broken) }

    /// The worst state any client sees (healthy when no client knows the node).
    public var worst: NodeState {
        self.entries.map(\.state).min { $0.severityRank < $1.severityRank } ?? .healthy
    }

    /// This client sees the node failing (broken or half-open) and every other client — at least one — sees it
    /// healthy: the trouble is likely on this client's side of the network.
    public var brokenHereOnly: Bool {
        guard let own = self.entries.first(where: \.isSelf), own.state != .healthy else { return false }
        let others = self.entries.filter { !$0.isSelf }
        return !others.isEmpty && others.allSatisfy { $0.state == .healthy }
    }

    /// `2/3 ✖`: healthy clients / clients, and the glyph of the worst state.
    public func cell(ascii: Bool) -> String {
        "\(self.healthy)/\(self.clients) \(self.worst.glyph(ascii: ascii))"
    }

    private func count(_ state: NodeState) -> Int {
        self.entries.reduce(0) { $0 + ($1.state == state ? 1 : 0) }
    }
}
