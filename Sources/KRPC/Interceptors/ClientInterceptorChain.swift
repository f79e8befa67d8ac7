import NIOCore

/// Runs a client's interceptors around a call, first one outermost.
///
/// No closure is built per interceptor ahead of time: each `next` is a non-escaping closure that runs
/// the rest of the chain from the next index, so a call through the chain allocates nothing but its
/// async frames (in the calling task's own allocator).
struct ClientInterceptorChain: Sendable {
    let interceptors: [any KRPCClientInterceptor]

    /// `nil` when there is no interceptor (pass-throughs left out): the caller then takes its direct path.
    init?(_ interceptors: [any KRPCClientInterceptor]) {
        let interceptors = interceptors.filter { !$0.passesEveryCallOn }
        guard !interceptors.isEmpty else { return nil }
        self.interceptors = interceptors
    }

    /// Runs the chain from interceptor `index`, then `transport`.
    func run(
        _ request: KRPCClientRequest,
        _ context: KRPCClientContext,
        from index: Int = 0,
        transport: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse {
        guard index < self.interceptors.count else { return try await transport(request, context) }
        return try await self.interceptors[index].intercept(request: request, context: context) {
            (request, context) async throws(KRPCError) -> KRPCClientResponse in
            try await self.run(request, context, from: index + 1, transport: transport)
        }
    }

    /// Runs the chain around a call given as its parts (what ``NodeConnection`` and ``KRPCChannel`` have): the
    /// request and context are made here, `transport` gets the parts the innermost interceptor passed on, and its
    /// answer goes back out through the chain.
    func run(
        _ key: ServiceKey,
        payload: [UInt8],
        metadata: KRPCMetadata,
        deadline: ContinuousClock.Instant,
        transport: @Sendable (
            _ key: ServiceKey, _ payload: [UInt8], _ metadata: KRPCMetadata, _ deadline: ContinuousClock.Instant
        ) async throws(KRPCError) -> ByteBuffer
    ) async throws(KRPCError) -> ByteBuffer {
        let context = KRPCClientContext(descriptor: key, deadline: deadline)
        let response = try await self.run(KRPCClientRequest(payload: payload, metadata: metadata), context) {
            (request, context) async throws(KRPCError) -> KRPCClientResponse in
            KRPCClientResponse(
                payload: try await transport(context.descriptor, request.payload, request.metadata, context.deadline))
        }
        return response.payload
    }
}
