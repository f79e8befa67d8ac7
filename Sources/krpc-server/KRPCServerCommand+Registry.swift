import ArgumentParser
import KRPCServices
import KRPCZooKeeper
import Logging

extension KRPCServerCommand {
    /// The registry from `--zk`, `--zk-root`, `--zk-session-timeout`, or `nil` with `--no-registry`.
    ///
    /// The registry connects once the node runs it, in the background: a ZooKeeper that is down at start is not
    /// fatal (the node serves, and registers once ZooKeeper answers).
    func makeRegistry(logger: Logger) throws -> RegistryHandle? {
        guard let servers = self.zk else { return nil }
        var configuration = ZooKeeperRegistry.Configuration(connectionString: servers, logger: logger)
        if let root = self.zkRoot { configuration.root = root }
        if let timeout = self.zkSessionTimeout {
            configuration.sessionTimeout = try Self.seconds(timeout, "--zk-session-timeout")
        }
        // Registration retries by itself; a shorter wait per attempt keeps shutdown prompt.
        configuration.operationTimeout = .seconds(5)
        let registry: ZooKeeperRegistry
        do {
            registry = try ZooKeeperRegistry(configuration: configuration)
        } catch {
            throw ValidationError("--zk: \(error)")
        }
        return RegistryHandle(
            registry: registry, description: servers, run: { await registry.run() }, close: { await registry.close() })
    }
}
