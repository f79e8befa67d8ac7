public import KRPC
public import KRPCPolicy
import KRPCZooKeeper
public import Logging

/// The registry krpc-top discovers nodes through: ZooKeeper (`--zk`), or a fixed list (`--nodes`).
public struct RegistryHandle: Sendable {
    /// Which registry to use.
    public enum Choice: Sendable, Hashable {
        /// ZooKeeper servers (`host:port[,host:port…]`), the layout's root (`""` or `/path`), the session timeout
        /// to ask for.
        case zooKeeper(servers: String, root: String, sessionTimeout: Duration)
        /// A fixed list of nodes for one method, no ZooKeeper.
        case fixed([NodeAddress], ServiceKey)
    }

    public let registry: any ServiceRegistry
    /// Whether the header shows a ZooKeeper state (else "disabled").
    public let usesZooKeeper: Bool
    /// The negotiated session timeout, when known.
    public let sessionTimeout: @Sendable () -> Duration?
    /// Keeps the session (ZooKeeper) until ``close`` ends it; returns at once for a fixed list.
    public let run: @Sendable () async -> Void
    /// Ends the session (ZooKeeper) when krpc-top stops.
    public let close: @Sendable () async -> Void

    /// Opens the chosen registry (a ZooKeeper session starts connecting in the background).
    public static func make(_ choice: Choice, logger: Logger) throws(TopError) -> RegistryHandle {
        switch choice {
        case .fixed(let nodes, let key):
            let registry = InMemoryServiceRegistry(nodes.map { ServiceInstance(address: $0) }, under: key)
            return RegistryHandle(
                registry: registry, usesZooKeeper: false, sessionTimeout: { nil }, run: {}, close: {})
        case .zooKeeper(let servers, let root, let sessionTimeout):
            let registry: ZooKeeperRegistry
            do {
                registry = try ZooKeeperRegistry(
                    configuration: ZooKeeperRegistry.Configuration(
                        connectionString: servers, sessionTimeout: sessionTimeout, root: root,
                        logger: Logger(label: "krpc.zookeeper")))
            } catch {
                throw TopError("--zk \(servers): \(error)")
            }
            return RegistryHandle(
                registry: registry, usesZooKeeper: true,
                sessionTimeout: { registry.negotiatedSessionTimeout },
                run: { await registry.run() },
                close: { await registry.close() })
        }
    }
}
