public import KRPC
public import KRPCPolicy

/// One method of the registry, as ``ZooKeeperRegistry/browse()`` lists it.
public struct RegistryMethodListing: Sendable, Hashable {
    /// `Service.Method`.
    public var key: ServiceKey
    /// The method's leaves that name a node (`host:port`), sorted.
    public var nodes: [NodeAddress]

    /// Creates a listing.
    public init(key: ServiceKey, nodes: [NodeAddress]) {
        self.key = key
        self.nodes = nodes
    }
}
