/// Intercepts the calls a server serves: sees each call's method, metadata and deadline (in its
/// ``KRPCServerContext``), and wraps the handler.
///
/// Shaped like grpc-swift 2's `ServerInterceptor`. Install interceptors with
/// ``KRPCServer/Configuration/interceptors``; the first of the array is the outermost: it sees the
/// call first and its result last. An interceptor calls `next` to pass the call on (to the next
/// interceptor, or to the handler after the last), or throws a ``KRPCError`` to answer the call
/// with that error: the handler does not run, and the client gets the error's code and message.
/// An error the handler threw reaches the interceptors as the ``KRPCError`` the client gets.
///
/// ```swift
/// struct TokenInterceptor: KRPCServerInterceptor {
///     func intercept(
///         request: KRPCServerRequest,
///         context: KRPCServerContext,
///         next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
///     ) async throws(KRPCError) -> KRPCServerResponse {
///         guard context.metadata.firstString(forKey: "token") == "secret" else {
///             throw KRPCError(code: .invalidRequest, message: "bad token")
///         }
///         return try await next(request, context)
///     }
/// }
/// ```
///
/// Cost: a handler declared non-suspending (``KRPCMethod/unaryNonSuspending(_:request:handler:)``)
/// runs on the event loop without a task. An interceptor that may suspend needs one per call, so
/// with one installed such a method runs in a task, like any other. An interceptor that never
/// suspends around the call (timing, counting, tracing) should conform to
/// ``KRPCNonSuspendingServerInterceptor`` too: when every installed interceptor does, those methods
/// keep running without a task.
public protocol KRPCServerInterceptor: KRPCInterceptor {
    /// Intercepts one call.
    ///
    /// - Parameters:
    ///   - request: the serialized request.
    ///   - context: the method, metadata, deadline and peer of the call.
    ///   - next: passes the call on to the next interceptor, or to the handler after the last.
    /// - Returns: the response (from `next`, or one made up).
    /// - Throws: ``KRPCError``: the handler's error as `next` threw it, or the interceptor's own.
    func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse
}

/// A server interceptor that never suspends around the call, in a form the server can run on the
/// event loop without a task.
///
/// The server calls ``interceptNonSuspending(request:context:next:)`` for methods declared
/// non-suspending when every installed interceptor conforms to this protocol, and
/// ``KRPCServerInterceptor/intercept(request:context:next:)`` otherwise: both must do the same.
/// It runs on the event loop: it must not block.
public protocol KRPCNonSuspendingServerInterceptor: KRPCServerInterceptor {
    /// Intercepts one call, without suspending.
    ///
    /// - Parameters: as ``KRPCServerInterceptor/intercept(request:context:next:)``.
    /// - Returns: the response (from `next`, or one made up).
    /// - Throws: ``KRPCError``: the handler's error as `next` threw it, or the interceptor's own.
    func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse
}
