import Foundation
import KRPCTestSupport
import Testing

/// The seed's four experiments, each an end-to-end test: three real `krpc-server` processes with fault
/// injection, the real ZooKeeper and Redis of `demo-cluster/test`, and the real `krpc-scenario` binary
/// (what `demo-cluster/scenario` runs), judged by its own verdict line and exit status.
@Suite(
    "Scenarios end to end",
    .serialized,
    .enabled(if: TestEnvironment.isAvailable(.zooKeeper) && TestEnvironment.isAvailable(.redis))
)
struct ScenarioEndToEndTests {
    /// Three nodes registered under a private ZooKeeper root, stopped after `body`.
    static func withCluster(_ body: (_ zk: String, _ redis: String, _ root: String, _ nodes: [String]) async throws -> Void) async throws {
        let zk = try TestEnvironment.addressString(of: .zooKeeper)
        let redis = try TestEnvironment.addressString(of: .redis)
        let root = "/krpc-e2e-\(UUID().uuidString.prefix(8))"
        var servers: [ChildProcess] = []
        var nodes: [String] = []
        defer { servers.forEach { $0.terminate() } }
        for _ in 0..<3 {
            let port = TCPProbe.freePort()
            let server = try ChildProcess(
                Binaries.path("krpc-server"),
                [
                    "--host", "127.0.0.1", "--port", "\(port)", "--zk", zk, "--zk-root", root, "--redis", redis,
                    "--allow-fault-injection",
                ]
            )
            servers.append(server)
            nodes.append("127.0.0.1:\(port)")
            try await waitUntil("krpc-server on \(port) to listen (log: \(server.logPath))", timeout: .seconds(20)) {
                guard server.isRunning else { throw TestEnvironmentError(message: "krpc-server exited:\n\(server.log())") }
                return server.log().contains("listening on")
            }
        }
        try await body(zk, redis, root, nodes)
    }

    static func run(_ scenario: String, zk: String, redis: String, root: String, nodes: [String]) async throws -> (Int32?, String) {
        let process = try ChildProcess(
            Binaries.path("krpc-scenario"),
            [scenario, "--zk", zk, "--zk-root", root, "--redis", redis, "--nodes", nodes.joined(separator: ",")]
        )
        let exited = try await process.waitForExit(timeout: .seconds(90))
        if !exited { process.terminate() }
        return (process.exitCode, process.log())
    }

    @Test("balance, error, error-and-timeout and recover each pass their verdict")
    func allScenarios() async throws {
        try await Self.withCluster { zk, redis, root, nodes in
            let ports = nodes.map { String($0.split(separator: ":").last!) }
            for scenario in ["balance", "error", "error-and-timeout", "recover"] {
                let (status, output) = try await Self.run(scenario, zk: zk, redis: redis, root: root, nodes: nodes)
                #expect(status == 0, "scenario \(scenario) exited \(status.map(String.init) ?? "?"):\n\(output)")
                #expect(output.contains("verdict: PASS"), "\(output)")
                // One line per node, with its port, from the Redis counts.
                for port in ports {
                    #expect(output.contains("\n  \(port) "), "no line for node \(port) in:\n\(output)")
                }
                switch scenario {
                case "balance":
                    #expect(output.contains("300 calls, 100 per node by the Redis counts"), "\(output)")
                case "error":
                    #expect(output.contains("HEALTHY → BROKEN  5 consecutive failures: internal 'injected error'"), "\(output)")
                case "error-and-timeout":
                    #expect(output.contains("BROKEN, everything on \(ports[2])"), "\(output)")
                default:
                    #expect(output.contains("BROKEN → HALF-OPEN") && output.contains("HALF-OPEN → HEALTHY"), "\(output)")
                }
            }
        }
    }

    @Test("an unknown scenario is refused with a clear message")
    func unknownScenario() async throws {
        let process = try ChildProcess(Binaries.path("krpc-scenario"), ["no-such-scenario"])
        _ = try await process.waitForExit(timeout: .seconds(10))
        #expect(process.exitCode != 0)
        #expect(process.log().contains("unknown scenario 'no-such-scenario'"))
    }
}
