public import KRPCWire
import Synchronization

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

/// The `Health` every ``KRPCServer`` serves unless given another.
///
/// `Health.Check` with an empty `service` asks about the server as a whole: `SERVING`. With the name of a
/// service the server serves: `SERVING`. With any other name the call fails with
/// ``KRPCError/Code/unknownService``, as a call to that service would (gRPC's health check answers
/// NOT_FOUND there). A `HealthService` not (yet) given to a server knows no services but itself.
///
/// Injected faults apply to it like to every method, so probes see them.
public struct HealthService: HealthProvider {
    /// `Health`.
    public static let name = "Health"
    /// `Check(HealthCheckRequest) returns (HealthCheckResponse)`.
    public static let check = "Check"
    /// The longest service name quoted back in the error.
    static let maximumQuotedName = 200

    /// The services of the server this one belongs to; a reference, so that the copy the server keeps
    /// and the one it was given agree.
    private let served = ServedServices()

    /// Creates the service.
    public init() {}

    /// Tells the service which services its server serves (``KRPCServer`` does, when created).
    package func attach(serving names: [String]) {
        self.served.names.withLock { $0 = Set(names) }
    }

    public func check(_ request: HealthCheckRequest, context: KRPCServerContext) async throws -> HealthCheckResponse {
        let name = request.service
        if !name.isEmpty && name != Self.name && !self.served.names.withLock({ $0.contains(name) }) {
            let quoted = name.count > Self.maximumQuotedName ? "\(name.prefix(Self.maximumQuotedName))…" : name
            throw KRPCError(code: .unknownService, message: "unknown service '\(quoted)'")
        }
        var response = HealthCheckResponse()
        response.status = .serving
        return response
    }
}

/// The service names a ``HealthService`` answers `SERVING` for.
final class ServedServices: Sendable {
    let names = Mutex<Set<String>>([])
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
