public import KRPC
public import KRPCPolicy

/// The counts of one service method as Redis holds them: `HGETALL krpc:calls:<key>` and
/// `HGETALL krpc:errors:<key>`, per node and summed.
///
/// Whatever else wrote into those hashes never crashes the reader: a field that is not `host:port` or a
/// value that is not a non-negative integer is left out of the counts and listed in ``malformed``.
public struct CallTotals: Sendable, Hashable {
    /// The service method counted.
    public var key: ServiceKey
    /// Calls handled, per node (fields of `krpc:calls:<key>`).
    public var callsByNode: [NodeAddress: Int]
    /// Calls failed, per node (fields of `krpc:errors:<key>`).
    public var errorsByNode: [NodeAddress: Int]
    /// What could not be read as a count.
    public var malformed: [MalformedCountField]

    /// Creates totals (for tests and for callers assembling their own).
    public init(
        key: ServiceKey,
        callsByNode: [NodeAddress: Int] = [:],
        errorsByNode: [NodeAddress: Int] = [:],
        malformed: [MalformedCountField] = []
    ) {
        self.key = key
        self.callsByNode = callsByNode
        self.errorsByNode = errorsByNode
        self.malformed = malformed
    }

    /// All calls of the method, cluster-wide (saturating, never traps).
    public var calls: Int { Self.saturatingSum(self.callsByNode.values) }
    /// All failed calls of the method, cluster-wide (saturating, never traps).
    public var errors: Int { Self.saturatingSum(self.errorsByNode.values) }

    /// The counts added since `earlier` (a read of the same key), per node: what a scenario or a time window
    /// contributed. A node whose count went down (its hash was reset) counts from zero.
    public func subtracting(_ earlier: CallTotals) -> CallTotals {
        func delta(_ now: [NodeAddress: Int], _ before: [NodeAddress: Int]) -> [NodeAddress: Int] {
            var result: [NodeAddress: Int] = [:]
            for (node, value) in now {
                let previous = before[node] ?? 0
                result[node] = value >= previous ? value - previous : value
            }
            return result
        }
        return CallTotals(
            key: self.key,
            callsByNode: delta(self.callsByNode, earlier.callsByNode),
            errorsByNode: delta(self.errorsByNode, earlier.errorsByNode),
            malformed: self.malformed
        )
    }

    /// Reads the totals of `key` in one pipelined round trip.
    /// - Throws: ``RedisError`` when Redis cannot be reached.
    public static func read(_ key: ServiceKey, from client: RedisClient) async throws(RedisError) -> CallTotals {
        let replies = try await client.pipeline(Self.commands(for: key))
        return Self.parse(key, calls: replies[0], errors: replies[1])
    }

    /// The two `HGETALL`s ``read(_:from:)`` sends, for callers that pipeline them with more.
    static func commands(for key: ServiceKey) -> [RedisCommand] {
        [RedisCommand("HGETALL", RedisKeys.calls(key)), RedisCommand("HGETALL", RedisKeys.errors(key))]
    }

    /// Builds the totals from the two `HGETALL` replies.
    static func parse(_ key: ServiceKey, calls: RedisValue, errors: RedisValue) -> CallTotals {
        var malformed: [MalformedCountField] = []
        let callsByNode = Self.parseHash(calls, key: RedisKeys.calls(key), malformed: &malformed)
        let errorsByNode = Self.parseHash(errors, key: RedisKeys.errors(key), malformed: &malformed)
        return CallTotals(key: key, callsByNode: callsByNode, errorsByNode: errorsByNode, malformed: malformed)
    }

    /// Reads an `HGETALL` reply (`[field, value, field, value…]`) into counts per node.
    static func parseHash(
        _ reply: RedisValue,
        key: String,
        malformed: inout [MalformedCountField]
    ) -> [NodeAddress: Int] {
        switch reply {
        case .null:
            return [:]
        case .error(let message):
            // e.g. WRONGTYPE: the key holds something that is not a hash.
            malformed.append(MalformedCountField(key: key, field: nil, value: message))
            return [:]
        case .array(let elements):
            var counts: [NodeAddress: Int] = [:]
            var index = 0
            while index + 1 < elements.count {
                let field = elements[index].string ?? "\(elements[index])"
                let valueText = elements[index + 1].string ?? "\(elements[index + 1])"
                index += 2
                guard let node = NodeAddress(parsing: field), let value = Int(valueText), value >= 0 else {
                    malformed.append(MalformedCountField(key: key, field: field, value: valueText))
                    continue
                }
                counts[node] = value
            }
            if elements.count % 2 != 0 {
                malformed.append(MalformedCountField(key: key, field: nil, value: "odd number of HGETALL elements"))
            }
            return counts
        default:
            malformed.append(MalformedCountField(key: key, field: nil, value: "unexpected reply \(reply)"))
            return [:]
        }
    }

    static func saturatingSum(_ values: some Sequence<Int>) -> Int {
        var total = 0
        for value in values {
            let (sum, overflow) = total.addingReportingOverflow(value)
            total = overflow ? Int.max : sum
        }
        return total
    }
}

/// Something in a counts hash that is not a count: a field that is not `host:port`, or a value that is not
/// a non-negative integer (or the whole key, when it is not a hash: then ``field`` is `nil`).
public struct MalformedCountField: Sendable, Hashable, CustomStringConvertible {
    /// The Redis key, e.g. `krpc:calls:UserServiceRpc.Login`.
    public var key: String
    /// The hash field, or `nil` when the problem is the key itself.
    public var field: String?
    /// The value found (or what is wrong).
    public var value: String

    /// Creates an entry.
    public init(key: String, field: String?, value: String) {
        self.key = key
        self.field = field
        self.value = value
    }

    public var description: String {
        if let field { return "\(self.key) field '\(field)' holds '\(self.value)'" }
        return "\(self.key): \(self.value)"
    }
}
