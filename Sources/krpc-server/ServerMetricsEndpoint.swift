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
    let metrics: KRPCCallMetrics

    /// Bootstraps the metrics system and makes the metrics of `methods`. Call once.
    static func bootstrap(methods: [ServiceKey]) -> ServerMetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(KRPCPrometheusFactory(registry: registry))
        return ServerMetricsEndpoint(registry: registry, metrics: KRPCCallMetrics(.server, methods: methods))
    }

    /// The `/metrics` server on `host:port`; prints `metrics at http://HOST:PORT/metrics` on stdout (flushed) once
    /// it listens, as the node prints `listening on` (with port 0 it is how scripts and tests learn the port). The
    /// line does not contain "listening on": scripts that grep for that (shared/bench/run.sh) find the node's.
    func httpServer(host: String, port: Int, logger: Logger) -> MetricsHTTPServer {
        MetricsHTTPServer(
            registry: self.registry,
            configuration: .init(
                host: host,
                port: port,
                onListening: { address in
                    print("metrics at http://\(MetricsHTTPServer.describe(address))/metrics")
                    fflush(stdout)
                },
                logger: logger
            )
        )
    }
}
