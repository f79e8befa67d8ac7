public import KRPCPolicy

/// A service method as published in the registry: `<root>/<service>/<method>/<host:port>`.
public struct ServiceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Service name, e.g. `UserServiceRpc`.
    public var service: String
    /// Method name, e.g. `Login`.
    public var method: String

    public init(service: String, method: String) {
        self.service = service
        self.method = method
    }

    /// `Service.Method`, the form the Redis counter keys use.
    public var description: String { "\(self.service).\(self.method)" }

    public static func < (lhs: ServiceKey, rhs: ServiceKey) -> Bool {
        (lhs.service, lhs.method) < (rhs.service, rhs.method)
    }
}

/// One live server node serving a method, as the registry knows it.
///
/// In ZooKeeper this is the data of an ephemeral leaf: `{host, port, weight, pid, started_at, version}`
/// (a bare `host:port` is accepted too, with defaults for the rest).
public struct ServiceInstance: Hashable, Sendable, CustomStringConvertible {
    public var address: NodeAddress
    /// Relative weight for weighted balancing; 1 when not given.
    public var weight: Int
    /// Process id of the server, when it published one.
    public var pid: Int?
    /// When the server started, seconds since the Unix epoch, when it published one.
    public var startedAt: Int64?
    /// The server's krpc version, when it published one.
    public var version: String?
    /// Whether the server honors its fault-injection key (`--allow-fault-injection`); `nil` when it
    /// did not say. Published as `fault_injection` so the dashboard can tell the user why `e` does nothing.
    public var faultInjection: Bool?

    public init(
        address: NodeAddress,
        weight: Int = 1,
        pid: Int? = nil,
        startedAt: Int64? = nil,
        version: String? = nil,
        faultInjection: Bool? = nil
    ) {
        self.address = address
        self.weight = weight
        self.pid = pid
        self.startedAt = startedAt
        self.version = version
        self.faultInjection = faultInjection
    }

    public var description: String { "\(self.address) (weight \(self.weight))" }
}

/// The connection state of a registry client, as the dashboard shows it.
public enum RegistryState: String, Sendable, Hashable, CaseIterable {
    /// Establishing the first session, or re-establishing one after an expiry.
    case connecting
    /// A live session: registrations and watches are current.
    case connected
    /// The session is alive but no server answers; the last known membership is kept.
    case disconnected
    /// The session expired; a new one is being opened, then everything is re-registered and re-listed.
    case expired
}

/// Where servers publish themselves and clients find them.
///
/// The ZooKeeper implementation lives in `KRPCZooKeeper`; ``InMemoryServiceRegistry`` serves unit tests.
public protocol ServiceRegistry: Sendable {
    /// Publishes `instance` under every key and keeps it published (across reconnects and session
    /// expiry) until ``deregister(_:)``.
    func register(_ instance: ServiceInstance, under keys: [ServiceKey]) async throws

    /// Removes every registration of `address` made through this registry.
    func deregister(_ address: NodeAddress) async throws

    /// The live membership of `key`: the current list first, then one element per (debounced) change.
    /// While the registry is unreachable the last known list is kept, never emptied.
    func discover(_ key: ServiceKey) -> AsyncStream<[ServiceInstance]>

    /// The current connection state.
    var state: RegistryState { get }

    /// The current state first, then every change.
    func stateUpdates() -> AsyncStream<RegistryState>
}
