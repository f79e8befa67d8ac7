public import KRPCWire

/// A call as a client interceptor sees it: the serialized request and the metadata sent with it.
public struct KRPCClientRequest: Sendable {
    /// The serialized request message.
    public var payload: [UInt8]
    /// The metadata sent in the request header (``KRPCMetadata``; its limits are checked when sent).
    public var metadata: KRPCMetadata

    /// Creates a request.
    public init(payload: [UInt8], metadata: KRPCMetadata = KRPCMetadata()) {
        self.payload = payload
        self.metadata = metadata
    }
}
