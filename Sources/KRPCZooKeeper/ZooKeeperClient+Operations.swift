internal import CZooKeeper

#if canImport(Glibc)
    import Glibc
#endif

extension ZooKeeperClient {
    /// Creates a node.
    ///
    /// Parents are not created (ZooKeeper has no recursive create).
    /// - Parameters:
    ///   - path: absolute path, e.g. `/krpc/UserService`.
    ///   - data: the node's data.
    ///   - mode: persistent, ephemeral (removed when this session ends), sequential, container.
    ///   - acl: who may do what with the node.
    /// - Returns: the path created (differs from `path` for sequential modes).
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code/nodeExists``, ``ZooKeeperError/Code/noNode`` (no parent),
    ///   ``ZooKeeperError/Code/noAuth``, ``ZooKeeperError/Code/connectionLoss``, …
    package func create(
        _ path: String,
        data: [UInt8] = [],
        mode: ZooKeeperCreateMode = .persistent,
        acl: ZooKeeperACL = .openUnsafe
    ) async throws -> String {
        let flags: Int32 =
            switch mode {
            case .persistent: ZOO_PERSISTENT
            case .ephemeral: ZOO_EPHEMERAL
            case .persistentSequential: ZOO_PERSISTENT_SEQUENTIAL
            case .ephemeralSequential: ZOO_EPHEMERAL_SEQUENTIAL
            case .container: ZOO_CONTAINER
            }
        let value = try await self.submit("create", path: path) { zh, context in
            path.withCString { cPath in
                withACL(acl) { aclVector in
                    data.withUnsafeBufferPointer { bytes in
                        bytes.withMemoryRebound(to: CChar.self) { chars in
                            zoo_acreate(
                                zh, cPath, chars.baseAddress, Int32(chars.count), aclVector, flags, stringCompletion,
                                context
                            )
                        }
                    }
                }
            }
        }
        guard case .string(let created) = value else { return path }
        return created
    }

    /// Deletes a node.
    /// - Parameter version: the expected data version, or `nil` for any.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code/noNode``, ``ZooKeeperError/Code/badVersion``,
    ///   ``ZooKeeperError/Code/notEmpty``, …
    package func delete(_ path: String, version: Int32? = nil) async throws {
        _ = try await self.submit("delete", path: path) { zh, context in
            path.withCString { zoo_adelete(zh, $0, version ?? -1, voidCompletion, context) }
        }
    }

    /// The node's stat, or `nil` when it does not exist.
    /// - Parameter watch: leave a watch: ``ZooKeeperNodeEventKind/created`` when it does not exist yet,
    ///   else ``ZooKeeperNodeEventKind/deleted`` or ``ZooKeeperNodeEventKind/dataChanged``.
    package func exists(_ path: String, watch: Bool = false) async throws -> ZooKeeperStat? {
        do {
            let value = try await self.submit("exists", path: path) { zh, context in
                path.withCString { zoo_aexists(zh, $0, watch ? 1 : 0, statCompletion, context) }
            }
            guard case .stat(let stat) = value else { return nil }
            return stat
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The node's data and stat.
    /// - Parameter watch: leave a watch for ``ZooKeeperNodeEventKind/dataChanged`` or
    ///   ``ZooKeeperNodeEventKind/deleted``.
    /// - Throws: ``ZooKeeperError`` (``ZooKeeperError/Code/noNode`` when it does not exist).
    package func get(_ path: String, watch: Bool = false) async throws -> (data: [UInt8], stat: ZooKeeperStat) {
        let value = try await self.submit("get", path: path) { zh, context in
            path.withCString { zoo_aget(zh, $0, watch ? 1 : 0, dataCompletion, context) }
        }
        guard case .data(let bytes, let stat) = value else { return ([], ZooKeeperStat()) }
        return (bytes, stat)
    }

    /// Replaces the node's data.
    /// - Parameter version: the expected data version, or `nil` for any.
    /// - Returns: the new stat.
    package func set(_ path: String, data: [UInt8], version: Int32? = nil) async throws -> ZooKeeperStat {
        let value = try await self.submit("set", path: path) { zh, context in
            path.withCString { cPath in
                data.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        zoo_aset(
                            zh, cPath, chars.baseAddress, Int32(chars.count), version ?? -1, statCompletion, context)
                    }
                }
            }
        }
        guard case .stat(let stat) = value else { return ZooKeeperStat() }
        return stat
    }

    /// The names (not paths) of the node's children, in no particular order.
    /// - Parameter watch: leave a watch for ``ZooKeeperNodeEventKind/childrenChanged`` or
    ///   ``ZooKeeperNodeEventKind/deleted``.
    /// - Throws: ``ZooKeeperError`` (``ZooKeeperError/Code/noNode`` when it does not exist).
    package func children(_ path: String, watch: Bool = false) async throws -> [String] {
        let value = try await self.submit("get children", path: path) { zh, context in
            path.withCString { zoo_aget_children(zh, $0, watch ? 1 : 0, childrenCompletion, context) }
        }
        guard case .children(let names) = value else { return [] }
        return names
    }

    /// Sends one asynchronous request: `start` calls a `zoo_a*` function with the handle and the completion
    /// context, under the handle lock (those calls only queue the request; they do not block).
    private func submit(
        _ operation: String,
        path: String,
        _ start: (OpaquePointer, UnsafeRawPointer) -> Int32
    ) async throws -> CompletionValue {
        try await withCheckedThrowingContinuation { continuation in
            let op = self.pending.insert(operation: operation, path: path, continuation: continuation)
            let rc: Int32 = self.handle.withLock { handle in
                guard let handle else { return ZCLOSING.rawValue }
                return start(handle.raw, op.context)
            }
            // On an immediate failure the C library never calls the completion: complete here.
            if rc != ZOK.rawValue { op.complete(rc: rc) { .none } }
        }
    }
}

/// Calls `body` with a C ACL vector for `acl`, valid during the call (the request is serialized before
/// `zoo_acreate` returns).
private func withACL<R>(_ acl: ZooKeeperACL, _ body: (UnsafePointer<ACL_vector>) -> R) -> R {
    switch acl {
    case .openUnsafe:
        return body(czk_open_acl_unsafe())
    case .creatorAllAnyoneRead:
        let strings = [strdup("auth"), strdup(""), strdup("world"), strdup("anyone")]
        defer { for string in strings { free(string) } }
        var entries = [
            ACL(perms: ZOO_PERM_ALL, id: Id(scheme: strings[0], id: strings[1])),
            ACL(perms: ZOO_PERM_READ, id: Id(scheme: strings[2], id: strings[3])),
        ]
        return entries.withUnsafeMutableBufferPointer { buffer in
            var vector = ACL_vector(count: Int32(buffer.count), data: buffer.baseAddress)
            return withUnsafePointer(to: &vector) { body($0) }
        }
    }
}
