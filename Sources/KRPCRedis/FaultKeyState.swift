public import KRPC

/// What a fault key `krpc:fault:<host:port>` holds, as read from Redis.
public struct FaultKeyState: Sendable, Hashable, CustomStringConvertible {
    /// The key's value as stored.
    public var value: String
    /// The fault it holds, or `nil` when the value is not a fault (malformed).
    public var fault: Fault?
    /// The time the key had left when read, when it has a TTL.
    public var timeToLive: Duration?

    /// Creates a state.
    public init(value: String, fault: Fault?, timeToLive: Duration?) {
        self.value = value
        self.fault = fault
        self.timeToLive = timeToLive
    }

    /// Interprets the replies to `GET key` and `PTTL key`.
    /// - Returns: `nil` when the key is absent; and, when the value is not a fault, why (for a warning).
    static func read(value: RedisValue, pttl: RedisValue) -> (state: FaultKeyState?, problem: String?) {
        let ttl: Duration? = pttl.integer.flatMap { $0 >= 0 ? .milliseconds($0) : nil }
        switch value {
        case .null:
            return (nil, nil)
        case .error(let message):
            // e.g. WRONGTYPE: the key holds a hash or a list.
            return (FaultKeyState(value: message, fault: nil, timeToLive: ttl), "the key is not a string")
        default:
            let text = value.string ?? "\(value)"
            do {
                return (FaultKeyState(value: text, fault: try Fault(parsing: text), timeToLive: ttl), nil)
            } catch {
                return (FaultKeyState(value: text, fault: nil, timeToLive: ttl), "\(error)")
            }
        }
    }

    public var description: String {
        let ttl = self.timeToLive.map { " (ttl \($0))" } ?? ""
        return self.fault == nil ? "malformed '\(self.value)'\(ttl)" : "\(self.value)\(ttl)"
    }
}
