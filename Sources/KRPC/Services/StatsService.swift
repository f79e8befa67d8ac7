public import KRPCWire
import Synchronization

/// `Stats.Get`: the per-method counters of the server (Protos/stats.proto). Every
/// ``KRPCServer`` serves it.
struct StatsService: KRPCService {
    static let name = "Stats"
    static let get = "Get"

    /// Filled in by the server once it exists (the service is created before it).
    final class Box: Sendable {
        let server = Mutex<WeakServer?>(nil)
    }

    let box: Box

    var serviceName: String { Self.name }

    var methods: [KRPCMethod] {
        [
            .unary(Self.get) { (_: StatsRequest, _) in
                guard let server = self.box.server.withLock({ $0?.server }) else {
                    throw KRPCError(code: .unavailable, message: "server is gone")
                }
                var response = StatsResponse()
                response.address = server.boundAddress.map { "\($0)" } ?? ""
                let uptime = server.uptime.components
                response.uptimeS = Double(uptime.seconds) + Double(uptime.attoseconds) / 1e18
                response.methods = server.statistics.snapshot().map { snapshot in
                    var entry = MethodStats()
                    entry.service = snapshot.service
                    entry.method = snapshot.method
                    entry.calls = snapshot.calls
                    entry.errors = snapshot.errors
                    entry.inFlight = snapshot.inFlight
                    if snapshot.latencyMicroseconds.totalCount > 0 {
                        entry.p50Us = Double(snapshot.latencyMicroseconds.valueAtPercentile(50))
                        entry.p99Us = Double(snapshot.latencyMicroseconds.valueAtPercentile(99))
                        entry.maxUs = Double(snapshot.latencyMicroseconds.max)
                    }
                    return entry
                }
                return response
            }
        ]
    }
}

/// Typed client of `Stats` over any ``KRPCCaller``.
public struct StatsClient<Caller: KRPCCaller>: Sendable {
    /// Where calls go.
    public let caller: Caller

    /// Creates a client.
    public init(_ caller: Caller) {
        self.caller = caller
    }

    /// Calls `Stats.Get`: the server's per-method calls, errors and latency.
    /// - Throws: ``KRPCError``.
    public func get(deadline: Duration? = nil) async throws(KRPCError) -> StatsResponse {
        try await self.caller.call(
            service: "Stats",
            method: "Get",
            request: StatsRequest(),
            responseType: StatsResponse.self,
            deadline: deadline
        )
    }
}
