public import KRPC

/// Records every call a server's handlers answer in ``KRPCCallMetrics`` (side ``KRPCCallMetrics/Side/server``):
/// in flight while it runs, then its duration and its status code (`ok`, or the code of the ``KRPCError`` the
/// call ends with, whether the handler or a later interceptor threw it).
///
/// Never suspends around the call (``KRPCNonSuspendingServerInterceptor``): with it installed, a method declared
/// non-suspending still runs on the event loop without a task. Put it first (outermost) to count calls that
/// later interceptors reject.
///
/// ```swift
/// let metrics = KRPCCallMetrics(.server, methods: keys)
/// var configuration = KRPCServer.Configuration()
/// configuration.interceptors = [KRPCServerMetricsInterceptor(metrics)]
/// ```
public struct KRPCServerMetricsInterceptor: KRPCNonSuspendingServerInterceptor {
    /// Where the calls are recorded.
    public let metrics: KRPCCallMetrics

    /// Records calls in `metrics` (made with ``KRPCCallMetrics/Side/server``).
    public init(_ metrics: KRPCCallMetrics) {
        self.metrics = metrics
    }

    /// Counts the call in flight, passes it on, then records its duration and code.
    public func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        try await self.metrics.method(service: context.service, method: context.method).measure {
            () async throws(KRPCError) in try await next(request, context)
        }
    }

    /// As ``intercept(request:context:next:)``, on the event loop without suspending.
    public func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        try self.metrics.method(service: context.service, method: context.method).measure {
            () throws(KRPCError) in try next(request, context)
        }
    }
}
