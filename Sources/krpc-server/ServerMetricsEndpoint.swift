import KRPC
import KRPCMetrics
import Logging
import Metrics
import Prometheus

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `--metrics-port`: swift-metrics bootstrapped with Prometheus (once per process: only this executable does
/// it), the server's call metrics, and the `/metrics` HTTP service that serves them.
struct ServerMetricsEndpoint {
    let registry: PrometheusCollectorRegistry
    let metrics: KRPCServerMetrics

    /// Bootstraps the metrics system and makes the metrics of `methods`. Call once.
    static func bootstrap(methods: [ServiceKey]) -> ServerMetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(KRPCPrometheusFactory(registry: registry))
        return ServerMetricsEndpoint(registry: registry, metrics: KRPCServerMetrics(methods: methods))
    }

    /// The `/metrics` server on `host:port`; prints `metrics listening on HOST:PORT` on stdout (flushed) once it
    /// listens, as the node prints `listening on` (scripts and tests wait for it; with port 0 it is how they
    /// learn the port).
    func httpServer(host: String, port: Int, logger: Logger) -> MetricsHTTPServer {
        MetricsHTTPServer(
            registry: self.registry,
            configuration: .init(
                host: host,
                port: port,
                onListening: { address in
                    print("metrics listening on \(MetricsHTTPServer.describe(address))")
                    fflush(stdout)
                },
                logger: logger
            )
        )
    }
}
