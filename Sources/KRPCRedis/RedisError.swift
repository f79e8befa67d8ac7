/// An error from the Redis adapter.
///
/// Raw hiredis error codes never leave this module: they are translated into a ``Code`` here.
/// The description reads `code: "message" (cause: …)`.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case connectionFailed = "connection failed"
            case connectionLost = "connection lost"
            case timeout = "timeout"
            case authenticationFailed = "authentication failed"
            case serverError = "server error"
            case protocolError = "protocol error"
            case unexpectedReply = "unexpected reply"
            case invalidConfiguration = "invalid configuration"
            case invalidArgument = "invalid argument"
            case cancelled = "cancelled"
            case shutDown = "shut down"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No connection could be made (refused, unreachable, name not resolved), or none is up and the
        /// next reconnect attempt is not due yet.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke during a command; whether the command ran is unknown.
        public static let connectionLost = Code(.connectionLost)
        /// Connecting or a reply took longer than the configured timeout.
        public static let timeout = Code(.timeout)
        /// `AUTH` was refused (wrong password, or a password is required).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Redis answered with an error reply (`ERR …`, `WRONGTYPE …`); the message is its text.
        public static let serverError = Code(.serverError)
        /// The bytes from the server were not valid RESP.
        public static let protocolError = Code(.protocolError)
        /// Redis answered, but not with the shape this operation expects.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// A configuration value is invalid; the message names the field.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An argument of the call is invalid (an empty command, a negative TTL); the message says which.
        public static let invalidArgument = Code(.invalidArgument)
        /// The calling task was cancelled before the command was sent.
        public static let cancelled = Code(.cancelled)
        /// The client has been shut down.
        public static let shutDown = Code(.shutDown)

        public var description: String { self.wrapped.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation (for ``Code/serverError`` the server's error text).
    public var message: String
    /// A lower-level error, when there is one.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause = self.cause {
            return "\(self.code): \"\(self.message)\" (cause: \(cause))"
        }
        return "\(self.code): \"\(self.message)\""
    }

    public static func == (lhs: RedisError, rhs: RedisError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
    }
}
