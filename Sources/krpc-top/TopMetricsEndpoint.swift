import Foundation
import KRPCMetrics
import KRPCTopCollect
import Logging
import Metrics
import NIOCore
import Prometheus

/// `--metrics-port`: swift-metrics bootstrapped with Prometheus (once per process: only this executable does it)
/// and `/metrics` served on 127.0.0.1, for the channel metrics every ``TopStack`` records
/// (``KRPCChannelMetrics``).
struct TopMetricsEndpoint {
    private let serving: Task<Void, Never>

    /// Bootstraps the metrics system, starts serving on `127.0.0.1:port`, and returns once it listens, having
    /// printed `metrics at http://HOST:PORT/metrics` on stderr (stdout carries `--once`'s report; the dashboard has
    /// not taken the terminal yet) and logged it.
    /// - Throws: ``TopError`` when the port cannot be bound.
    static func start(port: Int, logger: Logger) async throws(TopError) -> TopMetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(KRPCPrometheusFactory(registry: registry))
        let (listening, continuation) = AsyncStream.makeStream(
            of: Result<SocketAddress, MetricsHTTPServerError>.self, bufferingPolicy: .bufferingOldest(1))
        let server = MetricsHTTPServer(
            registry: registry,
            configuration: .init(
                host: "127.0.0.1", port: port,
                onListening: { continuation.yield(.success($0)) },
                logger: logger))
        let serving = Task {
            do {
                try await server.run()
            } catch let error as MetricsHTTPServerError {
                continuation.yield(.failure(error))
            } catch {
                continuation.yield(.failure(MetricsHTTPServerError("\(error)")))
            }
            continuation.finish()
        }
        var iterator = listening.makeAsyncIterator()
        switch await iterator.next() {
        case .success(let address)?:
            let text = MetricsHTTPServer.describe(address)
            FileHandle.standardError.write(Data("metrics at http://\(text)/metrics\n".utf8))
            logger.info("serving metrics", metadata: ["top.metrics": "http://\(text)/metrics"])
            return TopMetricsEndpoint(serving: serving)
        case .failure(let error)?:
            throw TopError("--metrics-port \(port): \(error)")
        case nil:
            throw TopError("--metrics-port \(port): the metrics server stopped before it listened")
        }
    }

    /// Stops serving (closes the listener and every connection) and waits for it.
    func stop() async {
        self.serving.cancel()
        await self.serving.value
    }
}
