public import KRPC
public import KRPCPolicy

extension ZooKeeperRegistry {
    /// Publishes `instance` under every key: one ephemeral leaf `<root>/<Service>/<Method>/<host:port>` each.
    ///
    /// Call it once the server's listener is up. The registration is remembered: it is re-checked after every
    /// reconnect and re-created on the new session after an expiry, until ``deregister(_:)``. Registering the
    /// same address again adds keys and replaces the published data (weight, …).
    ///
    /// A leaf that already exists but belongs to another session (typically this server's previous run,
    /// restarted within the session timeout) is deleted and recreated: otherwise it would vanish when that old
    /// session expires.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code/invalidPath`` for a service or method name that
    ///   cannot be a znode; ``ZooKeeperError/Code/connectionLoss`` when no session is connected within
    ///   ``Configuration/operationTimeout`` (the registration stays remembered and is published once the
    ///   session connects); other codes when ZooKeeper refuses (``ZooKeeperError/Code/noAuth``, …).
    public func register(_ instance: ServiceInstance, under keys: [ServiceKey]) async throws {
        let paths = try keys.map { try self.layout.leafPath($0, instance.address) }
        self.shared.withLock { state in
            var registration = state.registrations[instance.address] ?? Registration(instance: instance, keys: [])
            registration.instance = instance
            registration.keys.formUnion(keys)
            state.registrations[instance.address] = registration
            state.orphans.subtract(paths)
        }
        try await self.withConnectedClient { client in
            try await self.gate.withGate { try await self.publish(instance.address, on: client) }
        }
    }

    /// Removes every leaf of `address` published through this registry, and forgets the registration.
    ///
    /// Call it first on graceful shutdown, before draining, so clients stop picking this server.
    /// Only leaves owned by this registry's session are deleted.
    /// - Throws: ``ZooKeeperError`` ``ZooKeeperError/Code/connectionLoss`` when no session is connected within
    ///   ``Configuration/operationTimeout`` (the leaves are deleted after the next reconnect, or vanish with
    ///   the session).
    public func deregister(_ address: NodeAddress) async throws {
        let paths: [String] = self.shared.withLock { state in
            guard let registration = state.registrations.removeValue(forKey: address) else { return [] }
            let paths = registration.keys.compactMap { try? self.layout.leafPath($0, address) }
            state.orphans.formUnion(paths)
            return paths
        }
        guard !paths.isEmpty else { return }
        try await self.withConnectedClient { client in
            try await self.gate.withGate { try await self.removeOrphans(paths, on: client) }
        }
    }

    /// Runs `body` with a connected client; when the connection or the session is lost meanwhile, runs it again
    /// on the next connected one, until ``Configuration/operationTimeout`` has passed since the call.
    private func withConnectedClient(_ body: (ZooKeeperClient) async throws -> Void) async throws {
        let deadline = ContinuousClock.now + self.configuration.operationTimeout
        while true {
            let client = try await self.connectedClient(within: max(deadline - ContinuousClock.now, .zero))
            do {
                return try await body(client)
            } catch let error as ZooKeeperError where error.code.isConnectionProblem {
                guard ContinuousClock.now < deadline else { throw error }
                // The state changes shortly after the client noticed; do not spin on the stale client.
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Re-checks everything after a (re)connect: deletes pending orphans, (re)creates every registered leaf.
    /// Connection problems end it quietly (the next connect runs it again); other failures are retried.
    func reconcile(on client: ZooKeeperClient) async {
        var backoff = Backoff(initial: .seconds(1), max: .seconds(30), multiplier: 2, jitter: 0.2).makeIterator()
        var random = SystemRandomNumberGenerator()
        while true {
            do {
                try await self.gate.withGate {
                    guard self.connectedClient() === client else { return }
                    let (addresses, orphans) = self.shared.withLock {
                        (Array($0.registrations.keys), Array($0.orphans))
                    }
                    try await self.removeOrphans(orphans, on: client)
                    for address in addresses { try await self.publish(address, on: client) }
                }
                return
            } catch let error as ZooKeeperError where error.code.isConnectionProblem {
                self.logger.debug(
                    "re-registration interrupted; will run again on reconnect", metadata: ["error": "\(error)"])
                return
            } catch {
                let delay = backoff.next(using: &random)
                self.logger.info(
                    "re-registration failed; retrying",
                    metadata: ["error": "\(error)", "krpc.retry_in": "\(delay)"]
                )
                do { try await Task.sleep(for: delay) } catch { return }  // run() ended
            }
            guard self.connectedClient() === client else { return }
        }
    }

    /// Creates (or takes over) the leaves of one registration, as it stands now.
    private func publish(_ address: NodeAddress, on client: ZooKeeperClient) async throws {
        guard let registration = self.shared.withLock({ $0.registrations[address] }) else { return }
        let data = LeafData.encode(registration.instance, pid: self.processID, startedAt: self.startedAt)
        for key in registration.keys.sorted() {
            let path = try self.layout.leafPath(key, address)
            try await self.ensureLeaf(path, data: data, on: client)
        }
    }

    /// Deletes the given orphan leaves that are still orphans and owned by this session.
    private func removeOrphans(_ paths: [String], on client: ZooKeeperClient) async throws {
        for path in paths {
            // Registered again meanwhile: leave it.
            guard self.shared.withLock({ $0.orphans.contains(path) }) else { continue }
            if let stat = try await client.exists(path), stat.ephemeralOwner == client.sessionCredentials?.id {
                do {
                    try await client.delete(path, version: stat.version)
                } catch let error as ZooKeeperError where error.code == .noNode {}
                self.logger.debug("deregistered", metadata: ["zk.path": "\(path)"])
            }
            _ = self.shared.withLock { $0.orphans.remove(path) }
        }
    }

    /// Makes `path` an ephemeral leaf of this session holding `data`.
    private func ensureLeaf(_ path: String, data: [UInt8], on client: ZooKeeperClient) async throws {
        guard let session = client.sessionCredentials?.id else {
            throw ZooKeeperError(code: .connectionLoss, message: "no session", path: path)
        }
        let acl = self.nodeACL
        try await self.ensureParents(of: path, on: client)
        for _ in 0..<5 {
            do {
                _ = try await client.create(path, data: data, mode: .ephemeral, acl: acl)
                self.logger.debug("registered", metadata: ["zk.path": "\(path)", "zk.session": "\(session)"])
                return
            } catch let error as ZooKeeperError where error.code == .noNode {
                try await self.ensureParents(of: path, on: client)  // a parent was deleted meanwhile
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                guard let stat = try await client.exists(path) else { continue }
                if stat.ephemeralOwner == session {
                    let current = try await client.get(path)
                    if current.data != data {
                        _ = try await client.set(path, data: data, version: current.stat.version)
                    }
                    return
                }
                // The seed's bug: a leaf left by an earlier session (this server before a quick restart) would
                // vanish when that session expires. Take it over.
                self.logger.info(
                    "replacing a leaf owned by another session",
                    metadata: [
                        "zk.path": "\(path)",
                        "zk.owner": "\(ZooKeeperSessionCredentials(id: stat.ephemeralOwner, password: []))",
                    ]
                )
                do {
                    try await client.delete(path, version: stat.version)
                } catch let error as ZooKeeperError where error.code == .noNode || error.code == .badVersion {}
            }
        }
        throw ZooKeeperError(code: .nodeExists, message: "could not take over the leaf after 5 attempts", path: path)
    }

    /// With digest authentication, nodes this registry creates (parents too: deleting a leaf needs DELETE on
    /// its parent) are writable by the credentials' owner only, and readable by anyone.
    private var nodeACL: ZooKeeperACL {
        self.configuration.authentication == nil ? .openUnsafe : .creatorAllAnyoneRead
    }

    /// Creates the missing persistent ancestors of `path`.
    private func ensureParents(of path: String, on client: ZooKeeperClient) async throws {
        for parent in RegistryLayout.ancestors(of: path) {
            guard try await client.exists(parent) == nil else { continue }
            do {
                _ = try await client.create(parent, mode: .persistent, acl: self.nodeACL)
            } catch let error as ZooKeeperError where error.code == .nodeExists {}
        }
    }
}
