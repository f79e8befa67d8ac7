/// One Redis reply (RESP2, as hiredis 0.14 speaks it).
///
/// Bulk strings are kept as bytes because Redis strings are binary-safe; ``string`` decodes them
/// as UTF-8 when that is what the caller wants. An error reply nested in an array (a script's
/// result, a pipelined reply) is a value too: ``error(_:)``.
public enum RedisValue: Sendable, Hashable, CustomStringConvertible {
    /// A status reply such as `OK` or `PONG`.
    case simpleString(String)
    /// A bulk string: any bytes.
    case bulkString([UInt8])
    /// An integer reply.
    case integer(Int64)
    /// The nil reply (a missing key, `GET` of nothing).
    case null
    /// A multi-bulk reply.
    case array([RedisValue])
    /// An error reply (`ERR …`, `WRONGTYPE …`), with its text.
    case error(String)

    /// Creates a bulk string from UTF-8 text.
    public static func bulkString(_ text: String) -> RedisValue { .bulkString(Array(text.utf8)) }

    /// The text of a bulk string (decoded as UTF-8, invalid bytes replaced) or of a status reply; else `nil`.
    public var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .simpleString(let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string or status reply; else `nil`.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    /// An integer reply, or a bulk/status string holding a base-10 integer (as `HGETALL` returns counts);
    /// `nil` for anything else. Never traps on bad text.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: self.string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array reply; else `nil`.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is the nil reply.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The text of an error reply; else `nil`.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    public var description: String {
        switch self {
        case .simpleString(let text): "+\(text)"
        case .bulkString(let bytes): "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .integer(let value): ":\(value)"
        case .null: "(nil)"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .error(let message): "-\(message)"
        }
    }
}
