import Foundation
import KRPCMetrics
import KRPCTestSupport
import NIOCore
import Prometheus
import Synchronization
import Testing

/// The `/metrics` responder over a real socket: what it serves, and what it does with bad requests.
@Suite("MetricsHTTPServer: /metrics, bad requests, idle connections")
struct MetricsHTTPServerTests {
    /// Runs a server for a registry holding one counter at 3, on port 0, around `body`; then cancels it and
    /// checks that run() returned.
    private func withServer(
        idleTimeout: Duration = .seconds(30),
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "test_things", unitName: "total", helpText: "Things."),
            labels: [("kind", "a")]
        ).increment(by: Int64(3))
        let port = Mutex<Int?>(nil)
        let server = MetricsHTTPServer(
            registry: registry,
            configuration: .init(
                maximumRequestBytes: 1024, idleTimeout: idleTimeout,
                onListening: { address in port.withLock { $0 = address.port } }))
        let running = Task { try await server.run() }
        do {
            try await waitUntil("the metrics server to listen") { port.withLock { $0 } != nil }
            try await body(try #require(port.withLock { $0 }))
        } catch {
            running.cancel()
            _ = try? await running.value
            throw error
        }
        running.cancel()
        try await running.value
    }

    private func send(_ port: Int, _ request: String, timeout: Duration = .seconds(10)) async throws
        -> HTTPProbe.Response
    {
        try await HTTPProbe.exchange(port: port, request: Array(request.utf8), timeout: timeout)
    }

    @Test("GET /metrics answers 200 in the Prometheus text format, with HELP and TYPE")
    func servesMetrics() async throws {
        try await self.withServer { port in
            let response = try await HTTPProbe.get(port: port, path: "/metrics")
            #expect(response.status == 200, "\(response.raw)")
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.body.contains("# HELP test_things_total Things.\n"), "\(response.body)")
            #expect(response.body.contains("# TYPE test_things_total counter\n"), "\(response.body)")
            #expect(response.body.contains("test_things_total{kind=\"a\"} 3\n"), "\(response.body)")
            #expect(response.headers["content-length"] == "\(response.body.utf8.count)")
            #expect(response.closed)
            // A query string is not part of the path.
            #expect(try await HTTPProbe.get(port: port, path: "/metrics?x=1").status == 200)
        }
    }

    @Test("HEAD /metrics answers the head only; two requests on one keep-alive connection are both answered")
    func headAndKeepAlive() async throws {
        try await self.withServer { port in
            let head = try await self.send(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(head.status == 200, "\(head.raw)")
            #expect(head.body.isEmpty, "\(head.raw)")
            let two = try await self.send(
                port,
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(two.raw.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(two.raw)")
            #expect(two.raw.contains("HTTP/1.1 404 Not Found\r\n"), "\(two.raw)")
            #expect(two.closed)
        }
    }

    @Test(
        "bad requests get their status",
        arguments: [
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
            ("GET /metrics/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
            ("HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
            ("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405),
            ("DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
            ("this is not HTTP\r\n\r\n", 400),
        ]
    )
    func badRequests(request: String, status: Int) async throws {
        try await self.withServer { port in
            let response = try await self.send(port, request)
            #expect(response.status == status, "\(response.raw)")
            #expect(response.closed, "the connection stays open: \(response.raw)")
            if status == 405 { #expect(response.headers["allow"] == "GET, HEAD") }
            if request.hasPrefix("HEAD") { #expect(response.body.isEmpty, "\(response.raw)") }
        }
    }

    @Test("a request head or body over the limit is refused (431, 413) and the connection closed")
    func oversizeRequests() async throws {
        try await self.withServer { port in
            let bigHeader = String(repeating: "a", count: 2000)
            let head = try await self.send(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: \(bigHeader)\r\n\r\n")
            #expect(head.status == 431, "\(head.raw)")
            #expect(head.closed)
            let body = String(repeating: "b", count: 1500)
            let post = try await self.send(
                port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1500\r\n\r\n\(body)")
            #expect(post.status == 413, "\(post.raw)")
            #expect(post.closed)
            // A body within the limit is read and the request answered.
            let small = try await self.send(
                port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            #expect(small.status == 200, "\(small.raw)")
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout, not before")
    func idleConnectionClosed() async throws {
        try await self.withServer(idleTimeout: .milliseconds(300)) { port in
            let start = ContinuousClock.now
            let response = try await self.send(port, "", timeout: .seconds(10))
            let elapsed = ContinuousClock.now - start
            #expect(response.closed, "still open after 10 s")
            #expect(response.raw.isEmpty, "\(response.raw)")
            #expect(elapsed >= .milliseconds(250), "closed after \(elapsed)")
        }
    }

    @Test("a port that is taken is a clear error")
    func portInUse() async throws {
        try await self.withServer { port in
            let second = MetricsHTTPServer(registry: PrometheusCollectorRegistry(), configuration: .init(port: port))
            await #expect(throws: MetricsHTTPServerError.self) { try await second.run() }
        }
    }

    @Test("cancelling run() closes a keep-alive connection that is still open, and run() returns")
    func cancelClosesConnections() async throws {
        let port = Mutex<Int?>(nil)
        let server = MetricsHTTPServer(
            registry: PrometheusCollectorRegistry(),
            configuration: .init(onListening: { address in port.withLock { $0 = address.port } }))
        let running = Task { try await server.run() }
        try await waitUntil("the metrics server to listen") { port.withLock { $0 } != nil }
        let connection = try await HTTPProbe.Connection(port: try #require(port.withLock { $0 }))
        await connection.send(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let first = await connection.read(until: { $0.contains("\r\n\r\n") }, timeout: .seconds(10))
        #expect(first.status == 200 && !first.closed, "\(first.raw)")
        let start = ContinuousClock.now
        running.cancel()
        try await running.value
        // Well before the 30 s idle timeout: run() closed it.
        let rest = await connection.read(until: { _ in false }, timeout: .seconds(10))
        #expect(rest.closed)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
