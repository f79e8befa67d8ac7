/// What client and server interceptors have in common (``KRPCClientInterceptor``, ``KRPCServerInterceptor``).
public protocol KRPCInterceptor: Sendable {
    /// Whether this interceptor, as configured, only ever passes calls on unchanged (tracing with no tracer
    /// bootstrapped, say): the connection, channel or server then leaves it out of its chain, so installing it
    /// costs nothing (and a server's non-suspending methods stay task-free whatever else it is). Default `false`.
    var passesEveryCallOn: Bool { get }
}

extension KRPCInterceptor {
    /// Not a pass-through: the interceptor runs on every call.
    public var passesEveryCallOn: Bool { false }
}
