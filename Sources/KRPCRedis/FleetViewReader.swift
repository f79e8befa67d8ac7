public import KRPC
public import KRPCPolicy
public import Logging
import Synchronization

/// Reads every live client's ``FleetView`` from the `krpc:view:*` keys (`SCAN` then one `MGET`).
///
/// Never throws: when Redis cannot be read the snapshot says so and carries no views. A key whose string
/// value is not a fleet view (not JSON, a known field missing or impossible) is left out and logged as a
/// warning once per distinct key and value; fields the reader does not know are ignored. A key of the
/// family that is not a string (a hash, a list) reads as absent (`MGET` answers nil for it), as does a key
/// that expired between the `SCAN` and the `MGET`.
///
/// ```swift
/// let reader = FleetViewReader(client: redis, logger: logger)
/// let fleet = await reader.read()
/// for (client, view) in fleet.views(of: node, for: key) { print(client, view.state) }
/// ```
public final class FleetViewReader: Sendable {
    /// The client reads go through.
    public let client: RedisClient
    private let logger: Logger
    private let warned = Mutex<Set<String>>([])

    /// Creates a reader over `client`.
    public init(client: RedisClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Reads every view key now.
    public func read() async -> FleetSnapshot {
        let keys: [String]
        let replies: [RedisValue]
        do throws(RedisError) {
            keys = try await self.scanKeys()
            let values = keys.isEmpty ? nil : try await self.client.send(RedisCommand(arguments: ["MGET"] + keys))
            replies = values?.array ?? []
        } catch {
            return FleetSnapshot(views: [], ignoredKeys: [], error: error)
        }
        var views: [FleetView] = []
        var ignored: [String] = []
        for (key, reply) in zip(keys, replies) {
            // A key that expired between SCAN and MGET reads as nil (and MGET gives nil for non-strings).
            guard let bytes = reply.bytes else {
                if reply.isNull { continue }
                ignored.append(key)
                self.warnOnce(key: key, value: reply.description, reason: "not a string")
                continue
            }
            do throws(FleetViewCodec.DecodingFailure) {
                views.append(try FleetViewCodec.decode(bytes))
            } catch {
                ignored.append(key)
                let value = String(decoding: bytes.prefix(200), as: UTF8.self)
                self.warnOnce(key: key, value: value, reason: error.reason)
            }
        }
        views.sort { $0.client.id < $1.client.id }
        return FleetSnapshot(views: views, ignoredKeys: ignored.sorted(), error: nil)
    }

    private func scanKeys() async throws(RedisError) -> [String] {
        var cursor = "0"
        var keys: Set<String> = []
        repeat {
            let reply = try await self.client.send(
                "SCAN", cursor, "MATCH", "\(RedisKeys.viewPrefix)*", "COUNT", "1000")
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let batch = parts[1].array
            else {
                throw RedisError(code: .unexpectedReply, message: "SCAN: unexpected reply \(reply)")
            }
            for key in batch { if let key = key.string { keys.insert(key) } }
            cursor = next
        } while cursor != "0"
        return keys.sorted()
    }

    private func warnOnce(key: String, value: String, reason: String) {
        guard self.warned.withLock({ $0.insert("\(key)\u{0}\(value)").inserted }) else { return }
        self.logger.warning(
            "ignoring a fleet view key that does not hold a fleet view",
            metadata: ["redis.key": "\(key)", "krpc.view_value": "\(value)", "krpc.reason": "\(reason)"]
        )
    }
}

/// Every live client's view, as read at one instant.
public struct FleetSnapshot: Sendable, Hashable {
    /// One view per live client, sorted by client id.
    public var views: [FleetView]
    /// Keys of the family that held something else (left out, logged once).
    public var ignoredKeys: [String]
    /// Why the read failed; `nil` when it succeeded.
    public var error: RedisError?

    /// Creates a snapshot.
    public init(views: [FleetView], ignoredKeys: [String], error: RedisError?) {
        self.views = views
        self.ignoredKeys = ignoredKeys
        self.error = error
    }

    /// How each client that knows `node` (for `key`) sees it, by client id.
    public func views(of node: NodeAddress, for key: ServiceKey) -> [(client: FleetClientID, view: FleetNodeView)] {
        self.views.compactMap { view in view.view(of: node, for: key).map { (view.client, $0) } }
    }

    /// The view published by `client`, if it is live.
    public func view(from client: FleetClientID) -> FleetView? {
        self.views.first { $0.client == client }
    }
}
