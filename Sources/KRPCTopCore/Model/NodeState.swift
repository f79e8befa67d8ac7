/// How this client's circuit breaker sees one node.
///
/// The dashboard never tells states apart by colour alone: each state has a glyph and a word
/// (``glyph(ascii:)``, ``word``) as well as a theme colour.
public enum NodeState: String, Sendable, Hashable, CaseIterable, Codable {
    /// The breaker is closed: calls flow normally.
    case healthy
    /// The breaker admits a bounded number of trial calls or probes.
    case halfOpen = "half-open"
    /// The breaker is open: the node is isolated until a probe succeeds.
    case broken

    /// The spelling used in JSON output and event records: `healthy`, `half-open` or `broken`.
    public var jsonName: String { self.rawValue }

    /// The word shown on screen: `HEALTHY`, `HALF-OPEN` or `BROKEN`.
    public var word: String {
        switch self {
        case .healthy: "HEALTHY"
        case .halfOpen: "HALF-OPEN"
        case .broken: "BROKEN"
        }
    }

    /// The one-cell glyph shown before the word: `●` `◐` `✖`, or `+` `~` `x` in ASCII mode.
    public func glyph(ascii: Bool) -> Character {
        switch self {
        case .healthy: ascii ? "+" : "●"
        case .halfOpen: ascii ? "~" : "◐"
        case .broken: ascii ? "x" : "✖"
        }
    }

    /// The theme style for this state.
    public var themeKey: ThemeKey {
        switch self {
        case .healthy: .healthy
        case .halfOpen: .halfOpen
        case .broken: .broken
        }
    }

    /// Sort rank for "worst first": broken, then half-open, then healthy.
    var severityRank: Int {
        switch self {
        case .broken: 0
        case .halfOpen: 1
        case .healthy: 2
        }
    }
}
