public import KRPCWire
import Synchronization

/// `Stats.Get`: the per-method counters of the server (Protos/stats.proto). Every
/// ``KRPCServer`` serves it.
struct StatsService: Stats.ServiceProtocol {
    static let name = Stats.name

    /// Filled in by the server once it exists (the service is created before it).
    final class Box: Sendable {
        let server = Mutex<WeakServer?>(nil)
    }

    let box: Box

    func get(_ request: StatsRequest, context: KRPCServerContext) async throws -> StatsResponse {
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
}

/// Typed client of `Stats` (generated: `Stats.Client`).
public typealias StatsClient<Caller: KRPCCaller> = Stats.Client<Caller>

extension Stats.Client {
    /// Calls `Stats.Get`: the server's per-method calls, errors and latency.
    /// - Throws: ``KRPCError``.
    public func get(deadline: Duration? = nil) async throws(KRPCError) -> StatsResponse {
        try await self.get(StatsRequest(), options: KRPCCallOptions(deadline: deadline))
    }
}
