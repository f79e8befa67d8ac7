public import KRPC
public import KRPCPolicy

/// One client's view of every node it calls, as published under `krpc:view:<client-id>` (DESIGN.md
/// "Contracts"; encoded by ``FleetViewCodec``).
///
/// A client publishes its whole view in one key about once a second, with a TTL of a few seconds, so a
/// client that dies drops out of the fleet by itself.
public struct FleetView: Sendable, Hashable {
    /// The version of the value's layout this code writes. Readers accept any version and ignore fields
    /// they do not know.
    public static let formatVersion = 1

    /// Who published it.
    public var client: FleetClientID
    /// When it was published, seconds since the Unix epoch (the publisher's clock).
    public var publishedAt: Double
    /// How often the publisher means to refresh it.
    public var interval: Duration
    /// One entry per (service method, node) the client knows, sorted by service method then node.
    public var nodes: [FleetNodeView]

    /// Creates a view.
    public init(client: FleetClientID, publishedAt: Double, interval: Duration, nodes: [FleetNodeView]) {
        self.client = client
        self.publishedAt = publishedAt
        self.interval = interval
        self.nodes = nodes
    }

    /// The entry for `node` of `key`, if this client knows the node.
    public func view(of node: NodeAddress, for key: ServiceKey) -> FleetNodeView? {
        self.nodes.first { $0.node == node && $0.key == key }
    }
}

/// Who publishes a ``FleetView``: host, process id and a name (e.g. `krpc-top`, `client-a`).
public struct FleetClientID: Sendable, Hashable, CustomStringConvertible {
    /// The host the client runs on (its host name unless told otherwise).
    public var host: String
    /// The client's process id.
    public var pid: Int
    /// What the client calls itself.
    public var name: String

    /// Creates a client id.
    public init(host: String, pid: Int, name: String) {
        self.host = host
        self.pid = pid
        self.name = name
    }

    /// `<host>:<pid>:<name>`: the last part of the client's key `krpc:view:<host>:<pid>:<name>`.
    public var id: String { "\(self.host):\(self.pid):\(self.name)" }

    /// The same as ``id``.
    public var description: String { self.id }
}

/// How one client sees one node of one service method.
public struct FleetNodeView: Sendable, Hashable {
    /// The service method the client calls the node for.
    public var key: ServiceKey
    /// The node.
    public var node: NodeAddress
    /// The client's breaker state for the node.
    public var state: BreakerState
    /// Why the breaker last opened, if it ever did.
    public var reason: String?
    /// Failed attempts in percent of attempts to the node over the publisher's error window (0 with none).
    public var errorPercent: Double
    /// The 99th percentile latency of the node's successful attempts in the channel's window (µs; 0 with none).
    public var p99Micros: Int
    /// How long the breaker has been in ``state``, at publication.
    public var timeInState: Duration

    /// Creates a node view.
    public init(
        key: ServiceKey,
        node: NodeAddress,
        state: BreakerState,
        reason: String?,
        errorPercent: Double,
        p99Micros: Int,
        timeInState: Duration
    ) {
        self.key = key
        self.node = node
        self.state = state
        self.reason = reason
        self.errorPercent = errorPercent
        self.p99Micros = p99Micros
        self.timeInState = timeInState
    }
}
