public import KRPC
import KRPCWire
import NIOCore
public import Tracing

/// Traces the calls a server serves: extracts the caller's trace context from the request metadata
/// and runs the handler in a server span named `Service/Method`, with `ServiceContext.current` set
/// to it, so that calls the handler makes (through ``KRPCClientTracingInterceptor``) continue the trace.
///
/// The error a call ends with (the handler's, or an inner interceptor's) is recorded on the span,
/// with status error. Every span carries `rpc.system` (`krpc`), `rpc.service`, `rpc.method`,
/// `rpc.krpc.status_code` and the peer's `network.peer.address` / `network.peer.port`. Any tracer
/// works: its instrument reads the metadata keys its format uses (``KRPCMetadataExtractor``).
///
/// It never suspends around the call, so methods declared non-suspending still run without a task.
/// With no tracer bootstrapped (`NoOpTracer`) it only passes the call on.
///
/// ```swift
/// var configuration = KRPCServer.Configuration()
/// configuration.interceptors = [KRPCServerTracingInterceptor()]
/// ```
public struct KRPCServerTracingInterceptor: KRPCNonSuspendingServerInterceptor {
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
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        if self.isNoOp { return try await next(request, context) }
        let tracer = self.tracer
        let span = Self.startSpan(tracer, context)
        let result: Result<KRPCServerResponse, KRPCError> = await ServiceContext.withValue(span.context) {
            do throws(KRPCError) {
                return .success(try await next(request, context))
            } catch {
                return .failure(error)
            }
        }
        span.end(with: result.map { _ in () })
        return try result.get()
    }

    public func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        if self.isNoOp { return try next(request, context) }
        let tracer = self.tracer
        let span = Self.startSpan(tracer, context)
        let result: Result<KRPCServerResponse, KRPCError> = ServiceContext.withValue(span.context) {
            Result { () throws(KRPCError) in try next(request, context) }
        }
        span.end(with: result.map { _ in () })
        return try result.get()
    }

    private static func startSpan(_ tracer: any Tracer, _ context: KRPCServerContext) -> any Span {
        var parent = ServiceContext.topLevel
        if !context.metadata.isEmpty {
            tracer.extract(context.metadata, into: &parent, using: KRPCMetadataExtractor())
        }
        let span = tracer.startSpan(context.descriptor.spanName, context: parent, ofKind: .server)
        span.setRPCAttributes(context.descriptor)
        if let peer = context.peer {
            span.updateAttributes { attributes in
                if let address = peer.ipAddress { attributes["network.peer.address"] = address }
                if let port = peer.port { attributes["network.peer.port"] = port }
            }
        }
        return span
    }
}
