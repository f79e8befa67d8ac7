/// The error every krpc call ends in when it does not end in its response.
///
/// A `code` says what went wrong in a way callers can branch on (retry on ``Code/unavailable``,
/// not on ``Code/invalidRequest``); the `message` says it to a person; `cause` keeps the
/// underlying error, when there is one. Codes travel on the wire as the `status` of a response
/// (see `FrameFormat`), so a server's error arrives at the caller with the same code and message.
///
/// Described as `code: "message" (cause: …)`, e.g. `unknown method: "UserServiceRpc has no method Logout"`.
public struct KRPCError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var code: Code
    /// A description for people.
    public var message: String
    /// The underlying error, if any (a socket error, say).
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
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
}

extension KRPCError {
    /// An error code: an extensible set with a stable numeric value on the wire.
    ///
    /// Codes this version does not know (from a newer peer) are kept as they are, described as
    /// `code(N)`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire (header field `status`).
        public var rawValue: Int32

        /// Creates a code from its wire value.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// Not an error: the status of a successful response.
        public static let ok = Code(rawValue: 0)
        /// The caller cancelled the call (its task was cancelled, or it sent CANCEL).
        public static let cancelled = Code(rawValue: 1)
        /// An error with no better code (a handler threw something that is not a ``KRPCError``).
        public static let unknown = Code(rawValue: 2)
        /// The request is bad: its payload does not parse as the method's request message, or its
        /// header is incomplete. Retrying does not help.
        public static let invalidRequest = Code(rawValue: 3)
        /// The deadline passed before the response arrived (on the client or on the server).
        public static let deadlineExceeded = Code(rawValue: 4)
        /// The server has no service of that name.
        public static let unknownService = Code(rawValue: 5)
        /// The service has no method of that name.
        public static let unknownMethod = Code(rawValue: 6)
        /// The server or client is over a limit and refused the call.
        public static let overloaded = Code(rawValue: 8)
        /// The server failed while handling the call.
        public static let `internal` = Code(rawValue: 13)
        /// The node cannot be reached: connection refused, dropped, closed, or the server is
        /// shutting down. Safe to retry elsewhere.
        public static let unavailable = Code(rawValue: 14)
        /// The peer sent bytes that are not krpc frames (wrong magic, bad header, ...).
        public static let protocolError = Code(rawValue: 15)
        /// A frame was larger than the receiver's maximum frame length.
        public static let frameTooLarge = Code(rawValue: 16)

        public var description: String {
            switch self.rawValue {
            case 0: "ok"
            case 1: "cancelled"
            case 2: "unknown"
            case 3: "invalid request"
            case 4: "deadline exceeded"
            case 5: "unknown service"
            case 6: "unknown method"
            case 8: "overloaded"
            case 13: "internal"
            case 14: "unavailable"
            case 15: "protocol error"
            case 16: "frame too large"
            default: "code(\(self.rawValue))"
            }
        }
    }
}

extension KRPCError {
    /// The error for a call whose task was cancelled.
    static func cancelled(_ what: String) -> KRPCError {
        KRPCError(code: .cancelled, message: "\(what) was cancelled")
    }
}
