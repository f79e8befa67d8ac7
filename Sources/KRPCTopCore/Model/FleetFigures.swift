/// How the fleet of clients sees one node: this client's live view plus every other client's published view
/// (`krpc:view:*`). The table's FLEET column, the node detail's client list and the `--once --json` per-node
/// `fleet` object.
///
/// ``unknown`` stands for "krpc-top reads the fleet, but the last read failed (Redis down)": the column then shows
/// `-` rather than vanishing, and fills again with the next read that succeeds.
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
        /// That client's failed attempts in percent of its attempts to the node over its error window; `nil`
        /// when unknown.
        public var errorPercent: Double?
        /// That client's p99 latency of the node, µs; `nil` when unknown or without successful attempts.
        public var p99Microseconds: Int?
        /// How long that client's breaker had been in ``state`` when it published (this client: now).
        public var timeInState: Duration?
        /// How old that client's published view is; `nil` for this client's own (live) view.
        public var viewAge: Duration?

        /// Creates an entry.
        public init(
            client: String, state: NodeState, reason: String? = nil, isSelf: Bool = false,
            errorPercent: Double? = nil, p99Microseconds: Int? = nil, timeInState: Duration? = nil,
            viewAge: Duration? = nil
        ) {
            self.client = client
            self.state = state
            self.reason = reason
            self.isSelf = isSelf
            self.errorPercent = errorPercent
            self.p99Microseconds = p99Microseconds
            self.timeInState = timeInState
            self.viewAge = viewAge
        }

        /// The host part of ``client`` (`<host>:<pid>:<name>`; a host name holds no `:`).
        public var host: String {
            String(self.client.prefix { $0 != ":" })
        }

        /// `name/pid` from ``client`` (`krpc-top/4711`), or what follows the host when it is not `<pid>:<name>`.
        public var nameAndPid: String {
            let rest = self.client.drop { $0 != ":" }.dropFirst()
            guard let colon = rest.firstIndex(of: ":") else { return String(rest) }
            return "\(rest[rest.index(after: colon)...])/\(rest[..<colon])"
        }
    }

    /// Every live client that knows the node, this one first.
    public var entries: [Entry]
    /// `false`: the fleet could not be read (the last read failed), nothing is known beyond this client.
    public var isKnown: Bool

    /// Creates the figures of `entries`.
    public init(entries: [Entry]) {
        self.entries = entries
        self.isKnown = true
    }

    /// The fleet is read but the last read failed: the FLEET cell shows `-`, the report `null`.
    public static let unknown: FleetFigures = {
        var figures = FleetFigures(entries: [])
        figures.isKnown = false
        return figures
    }()

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

    /// `2/3 ✖`: healthy clients / clients, and the glyph of the worst state; `-` when unknown.
    public func cell(ascii: Bool) -> String {
        self.isKnown ? "\(self.healthy)/\(self.clients) \(self.worst.glyph(ascii: ascii))" : "-"
    }

    private func count(_ state: NodeState) -> Int {
        self.entries.reduce(0) { $0 + ($1.state == state ? 1 : 0) }
    }
}
