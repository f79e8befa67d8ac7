public import KRPCWire

extension Echo {
    /// `Echo(EchoRequest) returns (EchoResponse)`: the method name.
    public static let echo = Echo.Method.Echo.descriptor.method
}

/// The server side of `Echo` (generated: `Echo.ServiceProtocol`).
public typealias EchoProvider = Echo.ServiceProtocol

/// Typed client of `Echo` (generated: `Echo.Client`).
public typealias EchoClient<Caller: KRPCCaller> = Echo.Client<Caller>

/// `Echo` that answers the same bytes.
///
/// Its answer is computed from the request alone, so it is declared non-suspending
/// (``KRPCMethod/unaryNonSuspending(_:request:handler:)``): it runs on the event loop as the request
/// is read, with no task per call. This is the method the benchmarks call.
public struct EchoService: EchoProvider {
    /// Creates the service.
    public init() {}

    public var methods: [KRPCMethod] {
        [.unaryNonSuspending(Echo.echo) { (request: EchoRequest, _) in Self.answer(request) }]
    }

    public func echo(_ request: EchoRequest, context: KRPCServerContext) async throws -> EchoResponse {
        Self.answer(request)
    }

    private static func answer(_ request: EchoRequest) -> EchoResponse {
        var response = EchoResponse()
        response.value = request.value
        return response
    }
}

extension Echo.Client {
    /// Calls `Echo.Echo` with a deadline.
    /// - Throws: ``KRPCError``.
    @inlinable
    public func echo(_ request: EchoRequest, deadline: Duration?) async throws(KRPCError) -> EchoResponse {
        try await self.echo(request, options: KRPCCallOptions(deadline: deadline))
    }
}
