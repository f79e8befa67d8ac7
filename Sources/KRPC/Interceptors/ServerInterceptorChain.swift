import NIOCore

/// Runs a server's interceptors around a handler, first one outermost (see ``ClientInterceptorChain``
/// for why `next` is built per step and not ahead of time).
struct ServerInterceptorChain: Sendable {
    typealias Handler = @Sendable (ByteBuffer, KRPCServerContext) async -> Result<[UInt8], KRPCError>
    typealias HandlerNow = @Sendable (ByteBuffer, KRPCServerContext) -> Result<[UInt8], KRPCError>

    let interceptors: [any KRPCServerInterceptor]
    /// The same interceptors, when every one of them can run without suspending.
    let nonSuspending: [any KRPCNonSuspendingServerInterceptor]?

    /// `nil` when there is no interceptor (pass-throughs left out): the server then calls handlers directly.
    init?(_ interceptors: [any KRPCServerInterceptor]) {
        let interceptors = interceptors.filter { !$0.passesEveryCallOn }
        guard !interceptors.isEmpty else { return nil }
        self.interceptors = interceptors
        let nonSuspending = interceptors.compactMap { $0 as? any KRPCNonSuspendingServerInterceptor }
        self.nonSuspending = nonSuspending.count == interceptors.count ? nonSuspending : nil
    }

    /// Runs the chain, then `handler`, in the calling task.
    func run(
        _ payload: ByteBuffer,
        _ context: KRPCServerContext,
        handler: Handler
    ) async -> Result<[UInt8], KRPCError> {
        do {
            let response = try await self.run(KRPCServerRequest(payload: payload), context, from: 0) {
                (request, context) async throws(KRPCError) -> KRPCServerResponse in
                KRPCServerResponse(payload: try await handler(request.payload, context).get())
            }
            return .success(response.payload)
        } catch {
            return .failure(error)
        }
    }

    private func run(
        _ request: KRPCServerRequest,
        _ context: KRPCServerContext,
        from index: Int,
        handler: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        guard index < self.interceptors.count else { return try await handler(request, context) }
        return try await self.interceptors[index].intercept(request: request, context: context) {
            (request, context) async throws(KRPCError) -> KRPCServerResponse in
            try await self.run(request, context, from: index + 1, handler: handler)
        }
    }

    /// Runs the chain, then `handler`, without suspending: only when ``nonSuspending`` is set.
    func runNow(
        _ interceptors: [any KRPCNonSuspendingServerInterceptor],
        _ payload: ByteBuffer,
        _ context: KRPCServerContext,
        handler: HandlerNow
    ) -> Result<[UInt8], KRPCError> {
        do {
            let response = try Self.runNow(interceptors, KRPCServerRequest(payload: payload), context, from: 0) {
                (request, context) throws(KRPCError) -> KRPCServerResponse in
                KRPCServerResponse(payload: try handler(request.payload, context).get())
            }
            return .success(response.payload)
        } catch {
            return .failure(error)
        }
    }

    private static func runNow(
        _ interceptors: [any KRPCNonSuspendingServerInterceptor],
        _ request: KRPCServerRequest,
        _ context: KRPCServerContext,
        from index: Int,
        handler: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        guard index < interceptors.count else { return try handler(request, context) }
        return try interceptors[index].interceptNonSuspending(request: request, context: context) {
            (request, context) throws(KRPCError) -> KRPCServerResponse in
            try Self.runNow(interceptors, request, context, from: index + 1, handler: handler)
        }
    }
}
