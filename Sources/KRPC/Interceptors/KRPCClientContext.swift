/// What a client interceptor knows about a call besides its request.
public struct KRPCClientContext: Sendable {
    /// The method called.
    public var descriptor: ServiceKey
    /// When the caller gives up: the call's deadline (the caller's default when it gave none). An
    /// interceptor may move it; the transport sends what is left of it when the request goes out.
    public var deadline: ContinuousClock.Instant

    /// Creates a context.
    public init(descriptor: ServiceKey, deadline: ContinuousClock.Instant) {
        self.descriptor = descriptor
        self.deadline = deadline
    }
}
