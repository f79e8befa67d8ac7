public import KRPCWire
public import Logging
public import NIOCore

/// What a handler knows about the call it serves.
public struct KRPCServerContext: Sendable {
    /// The service called.
    public var service: String
    /// The method called.
    public var method: String
    /// The request id, unique among the connection's calls in flight.
    public var requestID: UInt64
    /// When the caller gives up (from the deadline it sent), or `nil` when it sent none. The
    /// server answers ``KRPCError/Code/deadlineExceeded`` and cancels the handler's task then.
    public var deadline: NIODeadline?
    /// The caller's address.
    public var peer: SocketAddress?
    /// The metadata the caller sent in the request header (empty when it sent none).
    public var metadata: KRPCMetadata
    /// The method called, as generated code names it (`Echo.Method.Echo.descriptor`).
    public var descriptor: ServiceKey { ServiceKey(service: self.service, method: self.method) }
    /// The server's logger, with `krpc.method` and `krpc.request_id` in its metadata.
    public var logger: Logger {
        var logger = self.baseLogger
        logger[metadataKey: "krpc.method"] = "\(self.service).\(self.method)"
        logger[metadataKey: "krpc.request_id"] = "\(self.requestID)"
        return logger
    }

    let baseLogger: Logger

    /// Creates a context (for testing handlers without a server).
    public init(
        service: String,
        method: String,
        requestID: UInt64 = 1,
        deadline: NIODeadline? = nil,
        peer: SocketAddress? = nil,
        metadata: KRPCMetadata = KRPCMetadata(),
        logger: Logger
    ) {
        self.service = service
        self.method = method
        self.requestID = requestID
        self.deadline = deadline
        self.peer = peer
        self.metadata = metadata
        self.baseLogger = logger
    }
}
