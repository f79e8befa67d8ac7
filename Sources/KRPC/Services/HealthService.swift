public import KRPCWire

/// The server side of `Health` (Protos/health.proto).
public protocol HealthProvider: KRPCService {
    /// Handles `Health.Check`.
    func check(_ request: HealthCheckRequest, context: KRPCServerContext) async throws -> HealthCheckResponse
}

extension HealthProvider {
    public var serviceName: String { HealthService.name }

    public var methods: [KRPCMethod] {
        [.unary(HealthService.check) { (request: HealthCheckRequest, context) in try await self.check(request, context: context) }]
    }
}

/// The `Health` every ``KRPCServer`` serves unless given another: answers `SERVING`.
///
/// Injected faults apply to it like to every method, so probes see them.
public struct HealthService: HealthProvider {
    /// `Health`.
    public static let name = "Health"
    /// `Check(HealthCheckRequest) returns (HealthCheckResponse)`.
    public static let check = "Check"

    /// Creates the service.
    public init() {}

    public func check(_ request: HealthCheckRequest, context: KRPCServerContext) async throws -> HealthCheckResponse {
        var response = HealthCheckResponse()
        response.status = .serving
        return response
    }
}

/// Typed client of `Health` over any ``KRPCCaller``.
public struct HealthClient<Caller: KRPCCaller>: Sendable {
    /// Where calls go.
    public let caller: Caller

    /// Creates a client.
    @inlinable
    public init(_ caller: Caller) {
        self.caller = caller
    }

    /// Calls `Health.Check`.
    /// - Throws: ``KRPCError``.
    @inlinable
    public func check(
        _ request: HealthCheckRequest = HealthCheckRequest(),
        deadline: Duration? = nil
    ) async throws(KRPCError) -> HealthCheckResponse {
        try await self.caller.call(
            service: HealthService.name,
            method: HealthService.check,
            request: request,
            responseType: HealthCheckResponse.self,
            deadline: deadline
        )
    }
}
