import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `krpc-top --metrics-port 0`: the embedded client's metrics, scraped over HTTP while it calls a real
/// `krpc-server` and a node that refuses connections.
@Suite("krpc-top --metrics-port: the client's metrics")
struct TopMetricsEndToEndTests {
    @Test(
        "attempts per node and outcome, calls, failovers, breaker states appear; promtool accepts them",
        .enabled(if: Promtool.isAvailable, "promtool is not installed (Debian package 'prometheus')"))
    func clientMetrics() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis"])
        let live = server.address.description
        let dead = "127.0.0.1:\(TCPProbe.freePort())"  // nobody listens there
        let directory = NSTemporaryDirectory() + "krpc-top-metrics-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let top = try ChildProcess(
            Binaries.path("krpc-top"),
            [
                "--nodes", "\(live),\(dead)", "--no-redis", "--once", "--duration", "60", "--json", "--rate", "200",
                "--no-hedging", "--metrics-port", "0", "--log-file", directory + "/top.log",
            ],
            environment: ["SWIFT_BACKTRACE": "enable=no"], logPath: directory + "/top.out")
        defer { top.terminate(grace: .milliseconds(500)) }

        var port: Int?
        try await waitUntil("krpc-top to print 'metrics at http://…'; output: \(top.log())", timeout: .seconds(30)) {
            for line in top.log().split(separator: "\n") where line.hasPrefix("metrics at http://") {
                port = NodeAddress(parsing: line.dropFirst("metrics at http://".count).dropLast("/metrics".count))?.port
            }
            guard top.isRunning || port != nil else {
                throw TestEnvironmentError(message: "krpc-top exited: \(top.log())")
            }
            return port != nil
        }
        let metricsPort = try #require(port)
        let labels = ["service": UserServiceRpc.name, "method": UserServiceRpc.login]
        func with(_ extra: [String: String]) -> [String: String] { labels.merging(extra) { $1 } }

        // Calls flow at 200/s; the snapshot-fed metrics are updated once a second.
        var body = ""
        try await waitUntil(
            "the client metrics to show calls, failovers and the dead node's breaker", timeout: .seconds(30),
            pollEvery: .milliseconds(200)
        ) {
            body = try await HTTPProbe.get(port: metricsPort, path: "/metrics").body
            let text = PrometheusText(body)
            return (text.value("krpc_client_attempts_total", with(["node": live, "outcome": "success"])) ?? 0) >= 20
                && (text.value("krpc_client_attempts_total", with(["node": dead, "outcome": "failure"])) ?? 0) >= 5
                && (text.value("krpc_client_calls_total", with(["code": "ok"])) ?? 0) >= 20
                && (text.value("krpc_client_failovers_total", labels) ?? 0) >= 1
                && text.value("krpc_client_breaker_state", with(["node": dead, "state": "closed"])) == 0
        }
        let text = PrometheusText(body)
        #expect(text.value("krpc_client_breaker_state", with(["node": live, "state": "closed"])) == 1, "\(body)")
        #expect(text.value("krpc_client_breaker_state", with(["node": live, "state": "open"])) == 0)
        #expect(text.value("krpc_client_nodes", labels) == 2)
        #expect(text.value("krpc_client_panic", labels) == 0)
        #expect(text.value("krpc_client_hedges_total", labels) == 0, "--no-hedging")
        let attempts = try #require(text.value("krpc_client_attempt_duration_seconds_count", with(["node": live])))
        #expect(attempts >= 20)
        #expect((text.value("krpc_client_call_duration_seconds_count", labels) ?? 0) >= 20)
        let (code, log) = try await Promtool.checkMetrics(body)
        #expect(code == 0, "promtool check metrics: \(log)\n\(body)")

        // SIGINT ends --once early with its report on stdout (the metrics line went to stderr).
        top.signal(SIGINT)
        #expect(try await top.waitForExit(timeout: .seconds(10)))
        #expect(top.exitCode == 0, "\(top.log())")
        #expect(top.log().contains("\"nodes\""), "\(top.log())")
        #expect(try await server.terminate() == 0)
    }

    @Test("a metrics port in use is a clear error, before anything runs")
    func metricsPortInUse() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis"])
        let port = server.address.port  // taken by the server
        let log = NSTemporaryDirectory() + "krpc-top-metrics-\(UUID().uuidString.prefix(8)).log"
        let (code, output) = try await runToExit(
            "krpc-top",
            [
                "--nodes", "\(server.address)", "--no-redis", "--once", "--duration", "5", "--metrics-port", "\(port)",
                "--log-file", log,
            ])
        #expect(code == 1, "\(output)")
        #expect(output.contains("--metrics-port \(port): cannot listen on 127.0.0.1:\(port)"), "\(output)")
        #expect(!output.contains("Fatal error"), "\(output)")
        #expect(try await server.terminate() == 0)
    }
}
