/// A handler's successful answer as a server interceptor sees it.
public struct KRPCServerResponse: Sendable {
    /// The serialized response message.
    public var payload: [UInt8]

    /// Creates a response.
    public init(payload: [UInt8]) {
        self.payload = payload
    }
}
