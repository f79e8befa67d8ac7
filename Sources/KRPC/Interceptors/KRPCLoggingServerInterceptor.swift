public import Logging

/// Logs one line per call a server serves, when it ends: the method, request id and peer (from the
/// server's logger, ``KRPCServerContext/logger``), the status code, the duration and, for a failed
/// call, the error's message.
///
/// ```text
/// debug: call ended krpc.method=Echo.Echo krpc.request_id=7 krpc.peer=[IPv4]127.0.0.1/127.0.0.1:50112
///        krpc.code=ok krpc.duration_us=41
/// ```
///
/// Nothing is computed when the server's logger is above ``level`` (one comparison per call). It never
/// suspends around the call, so methods declared non-suspending still run without a task.
///
/// ```swift
/// var configuration = KRPCServer.Configuration(logger: logger)
/// configuration.interceptors = [KRPCLoggingServerInterceptor(level: .debug)]
/// ```
public struct KRPCLoggingServerInterceptor: KRPCNonSuspendingServerInterceptor {
    /// The level of the per-call line.
    public var level: Logger.Level

    /// Creates the interceptor.
    /// - Parameter level: the level of the per-call line (default debug).
    public init(level: Logger.Level = .debug) {
        self.level = level
    }

    public func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        guard context.baseLogger.logLevel <= self.level else { return try await next(request, context) }
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            self.log(context, nil, since: start)
            return response
        } catch {
            self.log(context, error, since: start)
            throw error
        }
    }

    public func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        guard context.baseLogger.logLevel <= self.level else { return try next(request, context) }
        let start = ContinuousClock.now
        do {
            let response = try next(request, context)
            self.log(context, nil, since: start)
            return response
        } catch {
            self.log(context, error, since: start)
            throw error
        }
    }

    private func log(_ context: KRPCServerContext, _ error: KRPCError?, since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        var metadata: Logger.Metadata = [
            "krpc.code": "\(error?.code ?? .ok)",
            "krpc.duration_us": "\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)",
        ]
        if let error { metadata["krpc.error"] = "\(LogText.cut(error.message))" }
        context.logger.log(level: self.level, "call ended", metadata: metadata)
    }
}
