public import KRPC
public import KRPCPolicy

/// Sets and clears the fault of a node through its key `krpc:fault:<host:port>` (used by krpc-top's
/// `e`/`t`/`d`/`c` keys and by the demo scripts).
///
/// A server applies the fault only when it runs with `--allow-fault-injection`; otherwise it logs that
/// it ignores it. Setting a fault here always succeeds when Redis is reachable: whether a node honors it
/// is visible in its behavior (and in its log), not in Redis.
///
/// ```swift
/// let injector = FaultInjector(client: client)
/// try await injector.inject(.error, into: node, for: .seconds(60))   // SET krpc:fault:<node> error PX 60000
/// try await injector.clear(node)                                     // DEL krpc:fault:<node>
/// ```
public struct FaultInjector: Sendable {
    /// The client writes go through.
    public let client: RedisClient

    /// Creates an injector writing through `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    /// Sets `fault` on `node`, ending by itself after `timeToLive` when given (Redis expiry).
    /// - Throws: ``RedisError``: ``RedisError/Code/invalidArgument`` for a TTL under 1 ms; connection-level
    ///   codes when Redis cannot be reached.
    public func inject(_ fault: Fault, into node: NodeAddress, for timeToLive: Duration? = nil) async throws(RedisError)
    {
        try await self.setRaw(fault.description, on: node, for: timeToLive)
    }

    /// Stores `value` as is in `node`'s fault key (also a malformed one: for tests and for showing what a
    /// server does with it).
    /// - Throws: like ``inject(_:into:for:)``.
    public func setRaw(_ value: String, on node: NodeAddress, for timeToLive: Duration? = nil) async throws(RedisError)
    {
        var command = RedisCommand("SET", RedisKeys.fault(node), value)
        if let timeToLive {
            let milliseconds = Self.milliseconds(timeToLive)
            guard milliseconds >= 1 else {
                throw RedisError(code: .invalidArgument, message: "fault TTL \(timeToLive) must be at least 1 ms")
            }
            command.arguments += [Array("PX".utf8), Array(String(milliseconds).utf8)]
        }
        _ = try await self.client.send(command)
    }

    /// Removes `node`'s fault (healthy again within a poll interval).
    /// - Returns: whether there was a fault key to remove.
    /// - Throws: ``RedisError`` when Redis cannot be reached.
    @discardableResult
    public func clear(_ node: NodeAddress) async throws(RedisError) -> Bool {
        let reply = try await self.client.send(RedisCommand("DEL", RedisKeys.fault(node)))
        return (reply.integer ?? 0) > 0
    }

    /// What `node`'s fault key holds now; `nil` when absent.
    /// - Throws: ``RedisError`` when Redis cannot be reached.
    public func fault(of node: NodeAddress) async throws(RedisError) -> FaultKeyState? {
        let key = RedisKeys.fault(node)
        let replies = try await self.client.pipeline([RedisCommand("GET", key), RedisCommand("PTTL", key)])
        return FaultKeyState.read(value: replies[0], pttl: replies[1]).state
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        return overflow ? Int64.max : ms + attoseconds / 1_000_000_000_000_000
    }
}
