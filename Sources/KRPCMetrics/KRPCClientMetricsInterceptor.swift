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
        let method = self.metrics.method(context.descriptor)
        method.callStarted()
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            method.callEnded(code: 0, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
            return response
        } catch {
            method.callEnded(code: error.code.rawValue, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
            throw error
        }
    }
}
