import Foundation
import KRPCRedis
import KRPCTestSupport
import Testing

/// Whether this machine lets the test make network namespaces (root with iproute2): checked by making one.
private let namespacesAvailable: Bool = {
    guard getuid() == 0 else { return false }
    let name = "ktprobe\(Int.random(in: 0..<1000))"
    guard HostsModeTests.shell(["ip", "netns", "add", name]).status == 0 else { return false }
    _ = HostsModeTests.shell(["ip", "netns", "del", name])
    return true
}()

/// The demo on separate network hosts (`demo-cluster/up --hosts`), driven as a user drives it: up, two
/// headless clients on client hosts a and b, a one-sided partition, heal, down. Private run directory and
/// namespace prefix, so it never touches a demo the user has running.
@Suite(
    "demo-cluster hosts mode (network namespaces, partitions, fleet views)",
    .serialized,
    .enabled(if: namespacesAvailable, "network namespaces cannot be made here (needs root and iproute2)")
)
struct HostsModeTests {
    let directory = NSTemporaryDirectory() + "krpc-hosts-test-\(UUID().uuidString.prefix(8))"
    let prefix = "kt" + String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(6))

    var environment: [String: String] {
        [
            "KRPC_DEMO_DIR": self.directory,
            "KRPC_DEMO_NET_PREFIX": self.prefix,
            "KRPC_BIN": Binaries.productsDirectory,
        ]
    }

    /// Runs a short command (`ip …`, `down`) to its end and returns its exit status and output. Synchronous
    /// (`Foundation.Process`): used where no `await` is possible (the suite's trait, a `defer`); these
    /// commands end by themselves, so the signal-mask pitfall of `terminate()` does not apply.
    static func shell(_ command: [String], environment: [String: String] = [:]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func script(_ name: String, _ arguments: [String] = [], timeout: Duration = .seconds(90)) async throws
        -> (status: Int32?, output: String)
    {
        let process = try ChildProcess(
            Binaries.packageRoot + "/demo-cluster/" + name, arguments, environment: self.environment)
        if !(try await process.waitForExit(timeout: timeout)) {
            await process.stop()
            return (nil, process.log() + "\n(timed out)")
        }
        return (process.exitCode, process.log())
    }

    /// Runs `command` on the demo's infra host (ZooKeeper and Redis) and returns its stdout.
    func inInfra(_ command: [String]) async throws -> String {
        let process = try ChildProcess("ip", ["netns", "exec", "\(self.prefix)-infra"] + command)
        _ = try await process.waitForExit(timeout: .seconds(10))
        return process.log()
    }

    /// Every client's fleet view in the demo's Redis, decoded with the library's codec.
    func views() async throws -> [FleetView] {
        let keys = try await self.inInfra(
            ["redis-cli", "-h", "10.213.0.2", "--scan", "--pattern", "\(RedisKeys.viewPrefix)*"]
        ).split(separator: "\n").map(String.init)
        var views: [FleetView] = []
        for key in keys where key.hasPrefix(RedisKeys.viewPrefix) {
            let value = try await self.inInfra(["redis-cli", "-h", "10.213.0.2", "--raw", "GET", key])
            if let view = try? FleetViewCodec.decode(Array(value.utf8)) { views.append(view) }
        }
        return views
    }

    /// Client host `name`'s status file (krpc-scenario load).
    struct ClientStatus: Decodable {
        struct Node: Decodable {
            var state: String
            var successes: Int
            var failures: Int
        }
        var calls: Int
        var callerFailures: Int
        var nodes: [String: Node]

        enum CodingKeys: String, CodingKey {
            case calls, nodes
            case callerFailures = "caller_failures"
        }
    }

    func status(of client: String) -> ClientStatus? {
        let path = self.directory + "/clients/\(client).status"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ClientStatus.self, from: data)
    }

    func demoLeftovers() -> [String] {
        let namespaces = Self.shell(["ip", "netns", "list"]).output
        let links = Self.shell(["ip", "link"]).output
        return (namespaces + links).split(separator: "\n").map(String.init).filter { $0.contains(self.prefix) }
    }

    @Test("up --hosts; a node cut off from client a only: a fails over, b keeps it, the views say so; heal; down")
    func partitionOneClient() async throws {
        defer { _ = try? FileManager.default.removeItem(atPath: self.directory) }
        let up = try await self.script("up", ["--hosts", "--no-build", "--nodes", "3"])
        // Whatever happens next, take it all down.
        var downDone = false
        defer {
            if !downDone { _ = Self.shell([Binaries.packageRoot + "/demo-cluster/down"], environment: self.environment) }
        }
        try #require(up.status == 0, "\(up.output)")
        #expect(up.output.contains("hosts mode"), "\(up.output)")

        let status = try await self.script("status")
        #expect(status.status == 0, "\(status.output)")
        for line in ["host infra", "10.213.0.2", "host n8000", "10.213.0.11", "host a", "10.213.0.101", "host b"] {
            #expect(status.output.contains(line), "status lacks \(line): \(status.output)")
        }

        for client in ["a", "b"] {
            let started = try await self.script("client", [client, "--background", "--duration", "120", "--rate", "20"])
            try #require(started.status == 0, "\(started.output)")
        }
        let node = "10.213.0.11:8000"
        try await waitUntil("both clients calling every node", timeout: .seconds(30), pollEvery: .milliseconds(200)) {
            ["a", "b"].allSatisfy { client in
                guard let status = self.status(of: client) else { return false }
                return status.nodes.count == 3 && status.nodes.values.allSatisfy { $0.successes > 0 }
            }
        }
        try await waitUntil("both clients' views in Redis", timeout: .seconds(15), pollEvery: .milliseconds(200)) {
            let views = try await self.views()
            return Set(views.map(\.client.name)).isSuperset(of: ["client-a", "client-b"])
        }

        let partition = try await self.script("fault", ["8000", "partition", "--from", "a"])
        try #require(partition.status == 0, "\(partition.output)")
        let partitioned = try await self.script("status")
        #expect(partitioned.output.contains("node n8000 cut off from client a"), "\(partitioned.output)")

        // a's breaker for the node opens; b still sees it healthy.
        try await waitUntil("client a's view: the node broken", timeout: .seconds(30), pollEvery: .milliseconds(200)) {
            let views = try await self.views()
            let a = views.first { $0.client.name == "client-a" }?.nodes.first { $0.node.description == node }
            return a.map { $0.state != .closed } ?? false
        }
        let views = try await self.views()
        let seenByB = views.first { $0.client.name == "client-b" }?.nodes.first { $0.node.description == node }
        #expect(seenByB?.state == .closed, "client b must still see \(node) healthy: \(String(describing: seenByB))")
        #expect(seenByB?.errorPercent == 0)
        let seenByA = views.first { $0.client.name == "client-a" }?.nodes.first { $0.node.description == node }
        #expect(seenByA?.reason != nil, "client a's view says why: \(String(describing: seenByA))")

        // a fails over (its calls go on, none to the node); b keeps reaching the node.
        let aBefore = try #require(self.status(of: "a"))
        let bBefore = try #require(self.status(of: "b"))
        try await waitUntil("40 more calls from each client", timeout: .seconds(30), pollEvery: .milliseconds(200)) {
            guard let a = self.status(of: "a"), let b = self.status(of: "b") else { return false }
            return a.calls >= aBefore.calls + 40 && b.calls >= bBefore.calls + 40
        }
        let aAfter = try #require(self.status(of: "a"))
        let bAfter = try #require(self.status(of: "b"))
        #expect(aAfter.callerFailures == aBefore.callerFailures, "client a's callers saw no failure")
        #expect(aAfter.callerFailures == 0)
        let aOnNode = (aAfter.nodes[node]?.successes ?? 0) - (aBefore.nodes[node]?.successes ?? 0)
        #expect(aOnNode <= 1, "client a reached the partitioned node \(aOnNode) times")
        #expect((bAfter.nodes[node]?.successes ?? 0) > (bBefore.nodes[node]?.successes ?? 0) + 5)
        #expect(bAfter.callerFailures == 0)

        let heal = try await self.script("fault", ["8000", "heal"])
        try #require(heal.status == 0, "\(heal.output)")
        try await waitUntil("both views: the node healthy again", timeout: .seconds(60), pollEvery: .milliseconds(250)) {
            let views = try await self.views().filter { ["client-a", "client-b"].contains($0.client.name) }
            return views.count == 2
                && views.allSatisfy { $0.nodes.first { $0.node.description == node }?.state == .closed }
        }

        let down = try await self.script("down")
        downDone = true
        #expect(down.status == 0, "\(down.output)")
        #expect(self.demoLeftovers().isEmpty, "left behind: \(self.demoLeftovers())")
    }

    @Test("demo-cluster/scenario partition passes on hosts and says so in its verdict line")
    func partitionScenario() async throws {
        defer { _ = try? FileManager.default.removeItem(atPath: self.directory) }
        let up = try await self.script("up", ["--hosts", "--no-build", "--nodes", "3"])
        var downDone = false
        defer {
            if !downDone { _ = Self.shell([Binaries.packageRoot + "/demo-cluster/down"], environment: self.environment) }
        }
        try #require(up.status == 0, "\(up.output)")
        let scenario = try await self.script("scenario", ["partition"], timeout: .seconds(180))
        #expect(scenario.status == 0, "\(scenario.output)")
        #expect(scenario.output.contains("verdict: PASS"), "\(scenario.output)")
        #expect(scenario.output.contains("broken for 1 of 2 clients (a only)"), "\(scenario.output)")
        let status = try await self.script("status")
        #expect(!status.output.contains("partition "), "the scenario heals what it partitioned: \(status.output)")
        let down = try await self.script("down")
        downDone = true
        #expect(down.status == 0, "\(down.output)")
        #expect(self.demoLeftovers().isEmpty, "left behind: \(self.demoLeftovers())")
    }
}
