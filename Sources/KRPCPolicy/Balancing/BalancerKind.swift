/// The load-balancing policies, by their stable names (used on the command line and in the dashboard).
public enum BalancerKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Plain round-robin over the eligible nodes (`round-robin`, the default).
    case roundRobin = "round-robin"
    /// Smooth weighted round-robin, nginx's algorithm (`weighted-round-robin`).
    case weightedRoundRobin = "weighted-round-robin"
    /// Random, weighted by weight × slow-start factor (`random`).
    case random = "random"
    /// Least outstanding calls by the power of two choices (`p2c`).
    case leastOutstanding = "p2c"
    /// Consistent hashing on a caller-given key (`consistent-hash`).
    case consistentHash = "consistent-hash"

    /// The stable name: `round-robin`, `weighted-round-robin`, `random`, `p2c` or `consistent-hash`.
    public var name: String { self.rawValue }

    /// The stable name.
    public var description: String { self.rawValue }

    /// Parses a stable name (also accepts `rr`, `wrr`, `least-outstanding`, `hash`), case-insensitively.
    public init?(name: String) {
        let lowered = name.lowercased()
        if let kind = BalancerKind(rawValue: lowered) {
            self = kind
            return
        }
        switch lowered {
        case "rr": self = .roundRobin
        case "wrr", "weighted": self = .weightedRoundRobin
        case "least-outstanding", "least-request", "p2c-least-outstanding": self = .leastOutstanding
        case "hash", "consistent": self = .consistentHash
        default: return nil
        }
    }

    /// The next kind in declaration order, wrapping around (the dashboard's `b` key cycles with it).
    public var next: BalancerKind {
        let all = Self.allCases
        let index = all.firstIndex(of: self) ?? all.startIndex
        let following = all.index(after: index)
        return following == all.endIndex ? all[all.startIndex] : all[following]
    }
}
