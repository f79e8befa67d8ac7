public import NIOCore

/// A call as a server interceptor sees it: the serialized request. Its metadata, method and
/// deadline are in the ``KRPCServerContext``, as the handler sees them.
public struct KRPCServerRequest: Sendable {
    /// The serialized request message.
    public var payload: ByteBuffer

    /// Creates a request.
    public init(payload: ByteBuffer) {
        self.payload = payload
    }
}
