public import KRPC

/// Records every call a client makes in ``KRPCCallMetrics`` (side ``KRPCCallMetrics/Side/client``): in flight
/// while the caller waits, then its duration and its status code (`ok`, or the code of the ``KRPCError`` it ends
/// with).
///
/// On a ``KRPCChannel`` (``KRPCChannel/Configuration/interceptors``) it sees each call once, around failover and
/// hedging: the latency the caller sees. The attempts on each node are ``KRPCChannelMetrics``'s.
///
/// ```swift
/// let calls = KRPCCallMetrics(.client, methods: [key])
/// var configuration = KRPCChannel.Configuration()
/// configuration.interceptors = [KRPCClientMetricsInterceptor(calls)]
/// ```
public struct KRPCClientMetricsInterceptor: KRPCClientInterceptor {
    /// Where the calls are recorded.
    public let metrics: KRPCCallMetrics

    /// Records calls in `metrics` (made with ``KRPCCallMetrics/Side/client``).
    public init(_ metrics: KRPCCallMetrics) {
        self.metrics = metrics
    }

    /// Counts the call in flight, passes it on, then records its duration and code.
    public func intercept(
        request: KRPCClientRequest,
        context: KRPCClientContext,
        next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse {
        try await self.metrics.method(context.descriptor).measure {
            () async throws(KRPCError) in try await next(request, context)
        }
    }
}
