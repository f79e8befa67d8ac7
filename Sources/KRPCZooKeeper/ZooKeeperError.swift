/// An error from ZooKeeper or from this wrapper, with a typed ``Code``.
///
/// Raw ZooKeeper return codes (`ZNONODE`, `ZCONNECTIONLOSS`, …) are translated into ``Code`` inside this
/// module; they never leave it. The description reads `code: "message" (path: …) (cause: …)`.
public struct ZooKeeperError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a small extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case noNode, nodeExists, notEmpty, badVersion, noAuth, authFailed, invalidACL
            case noChildrenForEphemerals, sessionExpired, sessionMoved, connectionLoss, operationTimeout
            case closing, invalidState, badArguments, marshallingError, notReadOnly, throttled
            case systemError, unimplemented, invalidPath, invalidConfiguration, unknown
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The node does not exist.
        public static let noNode = Code(.noNode)
        /// The node already exists.
        public static let nodeExists = Code(.nodeExists)
        /// The node has children, so it cannot be deleted.
        public static let notEmpty = Code(.notEmpty)
        /// The node's version is not the expected one.
        public static let badVersion = Code(.badVersion)
        /// The session lacks permission for the operation (ACL).
        public static let noAuth = Code(.noAuth)
        /// Authentication (for example digest) was rejected by the server.
        public static let authFailed = Code(.authFailed)
        /// The ACL given is invalid.
        public static let invalidACL = Code(.invalidACL)
        /// Ephemeral nodes may not have children.
        public static let noChildrenForEphemerals = Code(.noChildrenForEphemerals)
        /// The session expired; the handle is dead and a new session is needed.
        public static let sessionExpired = Code(.sessionExpired)
        /// The session moved to another server.
        public static let sessionMoved = Code(.sessionMoved)
        /// The connection to the server was lost before the reply arrived; the outcome is unknown.
        public static let connectionLoss = Code(.connectionLoss)
        /// The operation timed out.
        public static let operationTimeout = Code(.operationTimeout)
        /// The client is closing or closed.
        public static let closing = Code(.closing)
        /// The handle is in a state (expired, authentication failed) where no operation is possible.
        public static let invalidState = Code(.invalidState)
        /// Invalid arguments (for example a malformed connection string).
        public static let badArguments = Code(.badArguments)
        /// A request or reply could not be (un)marshalled.
        public static let marshallingError = Code(.marshallingError)
        /// A write was sent to a read-only server.
        public static let notReadOnly = Code(.notReadOnly)
        /// The server throttled the operation; retry.
        public static let throttled = Code(.throttled)
        /// A system (OS) error in the client library.
        public static let systemError = Code(.systemError)
        /// The operation is not implemented by the server.
        public static let unimplemented = Code(.unimplemented)
        /// A path or path component is not acceptable (empty, contains `/`, reserved, …).
        public static let invalidPath = Code(.invalidPath)
        /// A configuration value is invalid; the message names the field.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A code this wrapper does not know; the message holds the details.
        public static let unknown = Code(.unknown)

        public var description: String {
            switch self.wrapped {
            case .noNode: "no node"
            case .nodeExists: "node exists"
            case .notEmpty: "not empty"
            case .badVersion: "bad version"
            case .noAuth: "not authorized"
            case .authFailed: "authentication failed"
            case .invalidACL: "invalid ACL"
            case .noChildrenForEphemerals: "no children for ephemerals"
            case .sessionExpired: "session expired"
            case .sessionMoved: "session moved"
            case .connectionLoss: "connection loss"
            case .operationTimeout: "operation timeout"
            case .closing: "closing"
            case .invalidState: "invalid state"
            case .badArguments: "bad arguments"
            case .marshallingError: "marshalling error"
            case .notReadOnly: "not read-only"
            case .throttled: "throttled"
            case .systemError: "system error"
            case .unimplemented: "unimplemented"
            case .invalidPath: "invalid path"
            case .invalidConfiguration: "invalid configuration"
            case .unknown: "unknown"
            }
        }

        /// Whether the error says only that the connection (or the session) is not usable right now: the
        /// operation may succeed once a session is connected again.
        public var isConnectionProblem: Bool {
            switch self.wrapped {
            case .connectionLoss, .operationTimeout, .sessionExpired, .sessionMoved, .closing, .invalidState: true
            default: false
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The znode the operation was about, when there is one.
    public var path: String?
    /// The underlying error, when there is one.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, path: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.cause = cause
    }

    public var description: String {
        var text = "\(self.code): \"\(self.message)\""
        if let path = self.path { text += " (path: \(path))" }
        if let cause = self.cause { text += " (cause: \(cause))" }
        return text
    }
}
