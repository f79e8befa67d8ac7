public import KRPC
import KRPCWire
public import Tracing

/// Traces the calls a client makes: a client span per call, named `Service/Method`, whose context
/// goes to the server in the request metadata.
///
/// The span's parent is `ServiceContext.current`: inside a handler traced by
/// ``KRPCServerTracingInterceptor`` that is the handler's server span, so a call a handler makes
/// continues the caller's trace. The tracer's instrument writes the propagation values into the
/// metadata (``KRPCMetadataInjector``): `traceparent` and `tracestate` for a W3C tracer, whatever
/// keys its format uses for another. A failed call records its ``KRPCError`` on the span, with
/// status error; every span carries `rpc.system` (`krpc`), `rpc.service`, `rpc.method` and
/// `rpc.krpc.status_code`.
///
/// With no tracer bootstrapped (`NoOpTracer`) the interceptor only passes the call on.
///
/// ```swift
/// InstrumentationSystem.bootstrap(myTracer)          // once, at startup
/// var configuration = KRPCChannel.Configuration()
/// configuration.interceptors = [KRPCClientTracingInterceptor()]
/// ```
public struct KRPCClientTracingInterceptor: KRPCClientInterceptor {
    private let tracer: any Tracer
    /// Whether ``tracer`` is the no-op one: then calls are only passed on.
    private let isNoOp: Bool

    /// With the no-op tracer the interceptor is left out of the chain: installed and unused, it costs nothing.
    public var passesEveryCallOn: Bool { self.isNoOp }

    /// Creates the interceptor.
    ///
    /// - Parameter tracer: the tracer to use; `nil` (default): `InstrumentationSystem.tracer` as it is
    ///   now, so create the interceptor after bootstrapping the tracer (as swift-metrics' factory is read
    ///   when a metric is created): reading it per call takes a task-local read, a lock and two casts,
    ///   where the no-op case now costs one check.
    public init(tracer: (any Tracer)? = nil) {
        let tracer = tracer ?? InstrumentationSystem.tracer
        self.tracer = tracer
        self.isNoOp = tracer is NoOpTracer
    }

    public func intercept(
        request: KRPCClientRequest,
        context: KRPCClientContext,
        next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse {
        if self.isNoOp { return try await next(request, context) }
        let tracer = self.tracer
        let span = tracer.startSpan(
            context.descriptor.spanName,
            context: ServiceContext.current ?? .topLevel,
            ofKind: .client
        )
        span.setRPCAttributes(context.descriptor)
        var request = request
        tracer.inject(span.context, into: &request.metadata, using: KRPCMetadataInjector())
        let result: Result<KRPCClientResponse, KRPCError> = await ServiceContext.withValue(span.context) {
            do throws(KRPCError) {
                return .success(try await next(request, context))
            } catch {
                return .failure(error)
            }
        }
        span.end(with: result.map { _ in () })
        return try result.get()
    }
}
