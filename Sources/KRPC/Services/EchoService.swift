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
public struct EchoService: EchoProvider {
    /// Creates the service.
    public init() {}

    public func echo(_ request: EchoRequest, context: KRPCServerContext) async throws -> EchoResponse {
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
