public import KRPC

/// Records every call a server serves in ``KRPCServerMetrics``: in flight while it runs, then its duration and
/// its status code (`ok`, or the code of the ``KRPCError`` the call ends with, whether the handler or a later
/// interceptor threw it).
///
/// Never suspends around the call (``KRPCNonSuspendingServerInterceptor``): with it installed, a method declared
/// non-suspending still runs on the event loop without a task. Put it first (outermost) to count calls that
/// later interceptors reject.
///
/// ```swift
/// let metrics = KRPCServerMetrics(methods: keys)
/// var configuration = KRPCServer.Configuration()
/// configuration.interceptors = [KRPCServerMetricsInterceptor(metrics)]
/// ```
public struct KRPCServerMetricsInterceptor: KRPCNonSuspendingServerInterceptor {
    /// Where the calls are recorded.
    public let metrics: KRPCServerMetrics

    /// Records calls in `metrics`.
    public init(_ metrics: KRPCServerMetrics) {
        self.metrics = metrics
    }

    public func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        let method = self.metrics.method(service: context.service, method: context.method)
        method.callStarted()
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            method.callEnded(code: 0, nanoseconds: Self.nanoseconds(since: start))
            return response
        } catch {
            method.callEnded(code: error.code.rawValue, nanoseconds: Self.nanoseconds(since: start))
            throw error
        }
    }

    public func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        let method = self.metrics.method(service: context.service, method: context.method)
        method.callStarted()
        let start = ContinuousClock.now
        do {
            let response = try next(request, context)
            method.callEnded(code: 0, nanoseconds: Self.nanoseconds(since: start))
            return response
        } catch {
            method.callEnded(code: error.code.rawValue, nanoseconds: Self.nanoseconds(since: start))
            throw error
        }
    }

    @inline(__always)
    private static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
