/// The state of a connection to a backing service (ZooKeeper or Redis), as the header shows it.
public enum LinkState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Connected and answering.
    case connected
    /// A connection attempt is in progress (first connect or reconnect).
    case connecting
    /// Not connected; the client keeps retrying.
    case disconnected
    /// ZooKeeper only: the session expired; ephemeral nodes and watches are gone.
    case expired
    /// The dashboard runs without this service (`--no-redis`).
    case disabled
    /// Not known yet (no report from the collector).
    case unknown

    /// The spelling used on screen and in JSON: the raw value (`connected`, `disconnected`, …).
    public var jsonName: String { self.rawValue }

    /// Whether a registry in this state can have told the node list: connected, or not used at all
    /// (`--nodes`: ``disabled``). Otherwise an empty node table means "ZooKeeper not reached", not "no nodes".
    public var hasAnsweredMembership: Bool { self == .connected || self == .disabled }

    /// The theme style: ``ThemeKey/ok`` when connected, ``ThemeKey/dim`` when disabled or unknown,
    /// ``ThemeKey/warning`` otherwise.
    public var themeKey: ThemeKey {
        switch self {
        case .connected: .ok
        case .disabled, .unknown: .dim
        case .connecting, .disconnected, .expired: .warning
        }
    }
}
