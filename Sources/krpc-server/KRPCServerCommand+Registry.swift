import ArgumentParser
import Logging

extension KRPCServerCommand {
    /// The registry from `--zk`, `--zk-root`, `--zk-session-timeout`, or `nil` with `--no-registry`.
    func makeRegistry(logger: Logger) throws -> RegistryHandle? {
        guard self.zk != nil else { return nil }
        // The ZooKeeper registry (issue 4) is not on this branch yet.
        throw ValidationError("--zk: the ZooKeeper registry is not in this build yet; use --no-registry")
    }
}
