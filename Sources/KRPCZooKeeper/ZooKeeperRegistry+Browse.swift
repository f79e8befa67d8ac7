package import KRPC
package import KRPCPolicy

// Additive reads for krpc-top's services view and node detail (``readLeaf(_:_:)`` is package API, as the raw
// ZooKeeper types it returns are): they use the registry's current session and
// never watch, so they change nothing of what ``discover(_:)`` and ``register(_:under:)`` do.
extension ZooKeeperRegistry {
    /// Lists every method under the root with its node leaves: `<root>/<Service>/<Method>/<host:port>`. A znode
    /// two levels down whose children are not all `host:port` is not a method (another tree under the same root)
    /// and is left out; a method without leaves is listed with no nodes. Reserved `/zookeeper` is skipped.
    /// - Throws: ``ZooKeeperError`` when there is no session or the root cannot be listed.
    public func browse() async throws -> [RegistryMethodListing] {
        guard let client = self.connectedClient() else {
            throw ZooKeeperError(code: .connectionLoss, message: "ZooKeeper not reached")
        }
        let root = self.layout.root
        let services: [String]
        do {
            services = try await client.children(root.isEmpty ? "/" : root)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        }
        var result: [RegistryMethodListing] = []
        for service in services.sorted() where !(root.isEmpty && service == "zookeeper") {
            // A branch that vanished between two reads is simply not listed.
            guard let methods = try? await client.children("\(root)/\(service)") else { continue }
            for method in methods.sorted() {
                guard let leaves = try? await client.children("\(root)/\(service)/\(method)") else { continue }
                let nodes = leaves.compactMap { NodeAddress(parsing: $0) }
                guard nodes.count == leaves.count else { continue }
                result.append(
                    RegistryMethodListing(
                        key: ServiceKey(service: service, method: method),
                        nodes: nodes.sorted { $0.description < $1.description }))
            }
        }
        return result
    }

    /// Reads one node's leaf of `key` (data and stat); `nil` when there is no such leaf.
    /// - Throws: ``ZooKeeperError`` when there is no session or the read fails otherwise.
    package func readLeaf(_ key: ServiceKey, _ address: NodeAddress) async throws -> RegistryLeaf? {
        guard let client = self.connectedClient() else {
            throw ZooKeeperError(code: .connectionLoss, message: "ZooKeeper not reached")
        }
        let path = try self.layout.leafPath(key, address)
        do {
            let (data, stat) = try await client.get(path)
            return RegistryLeaf(path: path, data: data, stat: stat)
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }
}
