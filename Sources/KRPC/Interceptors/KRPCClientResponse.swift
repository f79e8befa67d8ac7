public import NIOCore

/// A call's successful answer as a client interceptor sees it.
public struct KRPCClientResponse: Sendable {
    /// The serialized response message.
    public var payload: ByteBuffer

    /// Creates a response.
    public init(payload: ByteBuffer) {
        self.payload = payload
    }
}
