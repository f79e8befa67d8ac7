import KRPC
import KRPCMetrics
import KRPCTestSupport
import Prometheus
import Testing

/// ``KRPCServerMetricsInterceptor`` on a real server (in process, a real socket): the non-suspending path (Echo)
/// and the suspending one (Health), successes and a failure.
@Suite("KRPCServerMetricsInterceptor: every call a handler sees, on both paths")
struct ServerMetricsInterceptorTests {
    @Test("Echo (non-suspending) and Health (suspending) calls are counted by code and timed; none left in flight")
    func countsCalls() async throws {
        let prometheus = PrometheusCollectorRegistry()
        let metrics = KRPCCallMetrics(
            .server, methods: [ServiceKey(service: Echo.name, method: Echo.echo)],
            factory: KRPCPrometheusFactory(registry: prometheus))
        let server = KRPCServer(
            configuration: .init(host: "127.0.0.1", port: 0, interceptors: [KRPCServerMetricsInterceptor(metrics)]),
            services: [EchoService()])
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let connection = NodeConnection(to: try await server.listeningAddress())

        for _ in 0..<5 {
            _ = try await connection.call(service: Echo.name, method: Echo.echo, payload: [])
        }
        for _ in 0..<2 {
            // Not an EchoRequest: the handler's decoding fails with invalid_request.
            await #expect(throws: KRPCError.self) {
                try await connection.call(service: Echo.name, method: Echo.echo, payload: [0xFF, 0xFF, 0xFF])
            }
        }
        for _ in 0..<3 { _ = try await HealthClient(connection).check() }
        // A method the server does not serve never reaches an interceptor (answered before any handler).
        await #expect(throws: KRPCError.self) {
            try await connection.call(service: Echo.name, method: "Nope", payload: [])
        }
        await connection.close()

        let text = PrometheusText(prometheus.emitToString())
        let echo = ["service": Echo.name, "method": Echo.echo]
        let health = ["service": HealthService.name, "method": HealthService.check]
        #expect(text.value("krpc_server_calls_total", echo.merging(["code": "ok"]) { $1 }) == 5)
        #expect(text.value("krpc_server_calls_total", echo.merging(["code": "invalid_request"]) { $1 }) == 2)
        #expect(text.value("krpc_server_call_duration_seconds_count", echo) == 7)
        #expect(text.value("krpc_server_calls_in_flight", echo) == 0)
        #expect(text.value("krpc_server_calls_total", health.merging(["code": "ok"]) { $1 }) == 3)
        #expect(text.value("krpc_server_call_duration_seconds_count", health) == 3)
        #expect(text.value("krpc_server_calls_in_flight", health) == 0)
        #expect(text.matching("krpc_server_calls_total", ["method": "Nope"]).isEmpty)
    }
}
