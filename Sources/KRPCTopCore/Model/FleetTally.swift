/// How the fleet sees one method, summed over its nodes: every (live client, node) view of the method counted
/// by state. The services view's FLEET column and the `--once --json` per-method `fleet` object.
///
/// ```swift
/// var tally = FleetTally()
/// tally.add(.healthy); tally.add(.broken)
/// tally.cell(ascii: false)  // "1/2 ✖"
/// ```
public struct FleetTally: Sendable, Hashable {
    /// Views that see their node healthy.
    public var healthy: Int
    /// Views that see their node half-open.
    public var halfOpen: Int
    /// Views that see their node broken.
    public var broken: Int
    /// `false`: the fleet could not be read (the last read failed); the counts are then zero.
    public var isKnown: Bool

    /// Creates a tally (empty by default).
    public init(healthy: Int = 0, halfOpen: Int = 0, broken: Int = 0) {
        self.healthy = healthy
        self.halfOpen = halfOpen
        self.broken = broken
        self.isKnown = true
    }

    /// The fleet is read but the last read failed: the cell shows `-`, the report `null`.
    public static let unknown: FleetTally = {
        var tally = FleetTally()
        tally.isKnown = false
        return tally
    }()

    /// Every (client, node) view counted.
    public var views: Int { self.healthy + self.halfOpen + self.broken }

    /// The worst state any view has; `nil` without views.
    public var worst: NodeState? {
        self.broken > 0 ? .broken : self.halfOpen > 0 ? .halfOpen : self.views > 0 ? .healthy : nil
    }

    /// Counts one more view in `state`.
    public mutating func add(_ state: NodeState) {
        switch state {
        case .healthy: self.healthy += 1
        case .halfOpen: self.halfOpen += 1
        case .broken: self.broken += 1
        }
    }

    /// `7/9 ✖`: healthy views / views, and the glyph of the worst state; `-` when unknown or without views.
    public func cell(ascii: Bool) -> String {
        guard self.isKnown, let worst = self.worst else { return "-" }
        return "\(self.healthy)/\(self.views) \(worst.glyph(ascii: ascii))"
    }
}
