public import KRPCWire

/// Names of the benchmark service (Protos/echo.proto).
public enum Echo {
    /// `Echo`.
    public static let name = "Echo"
    /// `Echo(EchoRequest) returns (EchoResponse)`.
    public static let echo = "Echo"
}

/// The server side of `Echo`.
public protocol EchoProvider: KRPCService {
    /// Handles `Echo.Echo`.
    func echo(_ request: EchoRequest, context: KRPCServerContext) async throws -> EchoResponse
}

extension EchoProvider {
    public var serviceName: String { Echo.name }

    public var methods: [KRPCMethod] {
        [.unary(Echo.echo) { (request: EchoRequest, context) in try await self.echo(request, context: context) }]
    }
}

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

/// Typed client of `Echo` over any ``KRPCCaller``.
public struct EchoClient<Caller: KRPCCaller>: Sendable {
    /// Where calls go.
    public let caller: Caller

    /// Creates a client.
    @inlinable
    public init(_ caller: Caller) {
        self.caller = caller
    }

    /// Calls `Echo.Echo`.
    /// - Throws: ``KRPCError``.
    @inlinable
    public func echo(_ request: EchoRequest, deadline: Duration? = nil) async throws(KRPCError) -> EchoResponse {
        try await self.caller.call(
            service: Echo.name,
            method: Echo.echo,
            request: request,
            responseType: EchoResponse.self,
            deadline: deadline
        )
    }
}
