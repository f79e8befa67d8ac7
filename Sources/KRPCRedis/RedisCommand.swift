/// One Redis command: its name and arguments, each sent as a binary-safe bulk string.
///
/// ```swift
/// let incr = RedisCommand("INCR", "krpc:demo")
/// let set = RedisCommand("SET", "krpc:fault:127.0.0.1:8000", "error", "PX", "30000")
/// ```
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    /// The command name followed by its arguments, as bytes.
    public var arguments: [[UInt8]]

    /// A command from text arguments (encoded as UTF-8).
    public init(_ name: String, _ arguments: String...) {
        self.arguments = [Array(name.utf8)] + arguments.map { Array($0.utf8) }
    }

    /// A command from text arguments (encoded as UTF-8); `arguments[0]` is the command name.
    public init(arguments: [String]) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    /// A command from raw arguments; `arguments[0]` is the command name.
    public init(bytes arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    /// The command name, upper-cased, for logs and errors.
    public var name: String {
        self.arguments.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
    }

    /// The command name and the number of arguments (arguments can hold secrets, e.g. `AUTH`).
    public var description: String { "\(self.name) (\(max(self.arguments.count - 1, 0)) arguments)" }
}
