public import KRPCWire
import Synchronization

/// The server side of `Health` (generated: `Health.ServiceProtocol`).
public typealias HealthProvider = Health.ServiceProtocol

/// Typed client of `Health` (generated: `Health.Client`).
public typealias HealthClient<Caller: KRPCCaller> = Health.Client<Caller>

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
    public static let name = Health.name
    /// `Check(HealthCheckRequest) returns (HealthCheckResponse)`.
    public static let check = Health.Method.Check.descriptor.method
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

extension Health.Client {
    /// Calls `Health.Check` about the server as a whole.
    /// - Parameter deadline: how long to wait; `nil` = the caller's default.
    /// - Throws: ``KRPCError``.
    @inlinable
    public func check(deadline: Duration? = nil) async throws(KRPCError) -> HealthCheckResponse {
        try await self.check(HealthCheckRequest(), options: KRPCCallOptions(deadline: deadline))
    }

    /// Calls `Health.Check` with `request` and a deadline.
    /// - Throws: ``KRPCError``.
    @inlinable
    public func check(_ request: HealthCheckRequest, deadline: Duration?) async throws(KRPCError) -> HealthCheckResponse {
        try await self.check(request, options: KRPCCallOptions(deadline: deadline))
    }
}
