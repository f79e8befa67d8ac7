import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import KRPCWire
import Testing

/// `krpc-server --metrics-port 0`: a real process, called over krpc, scraped over HTTP.
@Suite("krpc-server --metrics-port: /metrics after real calls")
struct ServerMetricsEndToEndTests {
    /// Starts `krpc-server --no-registry --no-redis --metrics-port 0 …` and returns it with its metrics port,
    /// read from its `metrics at http://HOST:PORT/metrics` line.
    private func startServer(_ extra: [String] = []) async throws -> (ServerProcess, Int) {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis", "--metrics-port", "0"] + extra)
        var port: Int?
        try await waitUntil("krpc-server to print 'metrics at http://…'; output: \(server.process.log())") {
            for line in server.process.log().split(separator: "\n") where line.hasPrefix("metrics at http://") {
                port = NodeAddress(parsing: line.dropFirst("metrics at http://".count).dropLast("/metrics".count))?.port
            }
            return port != nil
        }
        return (server, try #require(port))
    }

    @Test(
        "counters and the histogram have the calls' values, and promtool accepts the output",
        .enabled(if: Promtool.isAvailable, "promtool is not installed (Debian package 'prometheus')"))
    func scrapeAfterCalls() async throws {
        // With the tracing interceptor too (no tracer): both installed, as the cost is measured.
        let (server, metricsPort) = try await self.startServer(["--tracing"])
        // Scripts find the node's port in the first line containing "listening on" (shared/bench/run.sh does).
        let first = server.process.log().split(separator: "\n").first { $0.contains("listening on") }
        #expect(first.map(String.init) == "listening on \(server.address)", "\(server.process.log())")
        let connection = server.connect()
        for _ in 0..<4 {
            #expect(try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456").success)
        }
        for _ in 0..<3 {
            // Not a LoginRequest: the handler's decoding fails, the call is answered invalid_request.
            await #expect(throws: KRPCError.self) {
                try await connection.call(
                    service: UserServiceRpc.name, method: UserServiceRpc.login, payload: [0xFF, 0xFF])
            }
        }
        for _ in 0..<2 {
            _ = try await EchoClient(connection).echo(EchoRequest())
        }
        await connection.close()

        let response = try await HTTPProbe.get(port: metricsPort, path: "/metrics")
        #expect(response.status == 200, "\(response.raw)")
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = PrometheusText(response.body)
        let login = ["service": UserServiceRpc.name, "method": UserServiceRpc.login]
        let echo = ["service": Echo.name, "method": Echo.echo]
        func with(_ labels: [String: String], _ extra: [String: String]) -> [String: String] {
            labels.merging(extra) { $1 }
        }
        #expect(text.value("krpc_server_calls_total", with(login, ["code": "ok"])) == 4, "\(response.body)")
        #expect(text.value("krpc_server_calls_total", with(login, ["code": "invalid_request"])) == 3)
        #expect(text.value("krpc_server_call_duration_seconds_count", login) == 7)
        #expect(text.value("krpc_server_call_duration_seconds_bucket", with(login, ["le": "+Inf"])) == 7)
        let sum = try #require(text.value("krpc_server_call_duration_seconds_sum", login))
        #expect(sum > 0 && sum < 7 * 5, "\(sum)")
        // Buckets are cumulative: never decreasing, ending at the count.
        let buckets = text.matching("krpc_server_call_duration_seconds_bucket", login).map(\.value)
        #expect(buckets.count == 18 && buckets == buckets.sorted(), "\(buckets)")
        #expect(text.value("krpc_server_calls_in_flight", login) == 0)
        #expect(text.value("krpc_server_calls_total", with(echo, ["code": "ok"])) == 2)
        #expect(text.value("krpc_server_call_duration_seconds_count", echo) == 2)
        // A served method not called yet shows at zero.
        #expect(text.value("krpc_server_calls_total", ["service": "Health", "method": "Check", "code": "ok"]) == 0)

        let (code, log) = try await Promtool.checkMetrics(response.body)
        #expect(code == 0, "promtool check metrics: \(log)\n\(response.body)")
        #expect(try await server.terminate() == 0)
    }

    @Test("a metrics port already in use is a clear error, not a crash")
    func metricsPortInUse() async throws {
        let (first, metricsPort) = try await self.startServer()
        let (code, output) = try await runToExit(
            "krpc-server",
            [
                "--port", "0", "--no-registry", "--no-redis", "--metrics-port", "\(metricsPort)",
            ])
        #expect(code == 1, "exit code \(String(describing: code)): \(output)")
        #expect(output.contains("cannot listen on 127.0.0.1:\(metricsPort)"), "\(output)")
        #expect(!output.contains("Fatal error"), "\(output)")
        #expect(try await first.terminate() == 0)
    }
}
