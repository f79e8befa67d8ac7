/// Intercepts the calls a client makes: sees each call's method, metadata and deadline, and wraps it.
///
/// Shaped like grpc-swift 2's `ClientInterceptor`. Install interceptors on a ``KRPCChannel``
/// (``KRPCChannel/Configuration/interceptors``: once per call, around retries and hedges) or on a
/// ``NodeConnection`` (``NodeConnection/Configuration/interceptors``: once per call on that node).
/// The first interceptor of the array is the outermost: it sees the call first and its result last.
///
/// An interceptor calls `next` to pass the call on (with the request and context it was given, or
/// changed ones: metadata added, say), or throws a ``KRPCError`` to end the call without sending it.
///
/// ```swift
/// struct TenantInterceptor: KRPCClientInterceptor {
///     func intercept(
///         request: KRPCClientRequest,
///         context: KRPCClientContext,
///         next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
///     ) async throws(KRPCError) -> KRPCClientResponse {
///         var request = request
///         request.metadata.replaceOrAddString("acme", forKey: "tenant")
///         return try await next(request, context)
///     }
/// }
/// ```
///
/// With no interceptor installed, a call costs what it cost before interceptors existed; each one
/// installed runs in the calling task (no task of its own).
public protocol KRPCClientInterceptor: KRPCInterceptor {
    /// Intercepts one call.
    ///
    /// - Parameters:
    ///   - request: the serialized request and its metadata.
    ///   - context: the method called and the call's deadline.
    ///   - next: passes the call on to the next interceptor, or to the transport after the last.
    /// - Returns: the response (from `next`, or one made up).
    /// - Throws: ``KRPCError``: the call's error as `next` threw it, or the interceptor's own.
    func intercept(
        request: KRPCClientRequest,
        context: KRPCClientContext,
        next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse
}
