import Foundation
import KRPCTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real krpc cluster for krpc-top's end-to-end tests: `krpc-server` processes registered in the shared
/// ZooKeeper under a root of their own (so parallel tests never see each other's nodes), counting in the shared
/// Redis and honouring fault keys (`--allow-fault-injection`), each on a port the kernel picked.
final class TopTestCluster: Sendable {
    let zooKeeper: String
    let redis: String
    /// The registry root, unique per cluster, e.g. `/krpc-top-test-1a2b3c4d`.
    let root: String
    /// `127.0.0.1:<port>` of each server, in start order.
    let addresses: [String]
    let directory: String
    /// The server processes, by index; ``restart(_:)`` replaces one.
    private let servers: Mutex<[ChildProcess]>

    private init(
        zooKeeper: String, redis: String, root: String, addresses: [String], directory: String,
        servers: [ChildProcess]
    ) {
        self.zooKeeper = zooKeeper
        self.redis = redis
        self.root = root
        self.addresses = addresses
        self.directory = directory
        self.servers = Mutex(servers)
    }

    /// Starts `count` servers and waits until each listens.
    static func start(count: Int = 3) async throws -> TopTestCluster {
        let zooKeeper = try TestEnvironment.addressString(of: .zooKeeper)
        let redis = try TestEnvironment.addressString(of: .redis)
        let id = UUID().uuidString.prefix(8).lowercased()
        let root = "/krpc-top-test-\(id)"
        let directory = NSTemporaryDirectory() + "krpc-top-test-\(id)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var servers: [ChildProcess] = []
        var addresses: [String] = []
        do {
            for index in 0..<count {
                let (server, address) = try await Self.startServer(
                    port: 0, zooKeeper: zooKeeper, root: root, redis: redis,
                    logPath: directory + "/server-\(index).log")
                servers.append(server)
                addresses.append(address)
            }
        } catch {
            servers.forEach { $0.terminate(grace: .seconds(2)) }
            throw error
        }
        return TopTestCluster(
            zooKeeper: zooKeeper, redis: redis, root: root, addresses: addresses,
            directory: directory, servers: servers)
    }

    /// The ZooKeeper session timeout every server asks for.
    static let sessionTimeout = Duration.seconds(4)

    /// Starts one server and waits until it listens; returns it and its `host:port`.
    private static func startServer(
        port: Int, zooKeeper: String, root: String, redis: String, logPath: String
    ) async throws -> (ChildProcess, String) {
        let server = try ChildProcess(
            Binaries.path("krpc-server"),
            [
                "--port", "\(port)", "--zk", zooKeeper, "--zk-root", root,
                "--zk-session-timeout", "\(Self.sessionTimeout.components.seconds)",
                "--redis", redis, "--allow-fault-injection",
            ],
            logPath: logPath
        )
        var address: String?
        do {
            try await waitUntil("krpc-server to listen (log: \(server.logPath))", timeout: .seconds(20)) {
                guard server.isRunning else {
                    throw TestEnvironmentError(message: "krpc-server exited:\n\(server.log())")
                }
                address = Self.listeningAddress(in: server.log())
                return address != nil
            }
        } catch {
            server.terminate(grace: .seconds(2))
            throw error
        }
        return (server, address ?? "")
    }

    /// SIGKILL to server `index`: no deregistration, its ZooKeeper session times out.
    func kill(_ index: Int) {
        self.servers.withLock { $0[index] }.kill()
    }

    /// Starts server `index` again on the port it had.
    func restart(_ index: Int) async throws {
        let port = Int(self.addresses[index].split(separator: ":").last ?? "") ?? 0
        let (server, _) = try await Self.startServer(
            port: port, zooKeeper: self.zooKeeper, root: self.root, redis: self.redis,
            logPath: self.directory + "/server-\(index)-restarted.log")
        let old = self.servers.withLock { servers in
            defer { servers[index] = server }
            return servers[index]
        }
        old.kill()
    }

    /// The krpc-top arguments that watch this cluster: the node view of `UserServiceRpc.Login`, or with
    /// `servicesView` the services view (no `--service`/`--method`).
    func topArguments(logFile: String, servicesView: Bool = false) -> [String] {
        ["--zk", self.zooKeeper, "--zk-root", self.root, "--redis", self.redis, "--log-file", logFile]
            + (servicesView ? [] : ["--service", "UserServiceRpc", "--method", "Login"])
    }

    /// The servers' logs, for failure messages.
    func logs() -> String {
        self.servers.withLock { $0 }.enumerated()
            .map { "--- server \($0.offset) ---\n\($0.element.log())" }.joined(separator: "\n")
    }

    /// Stops every server (SIGTERM: they deregister and drain) and clears their fault keys.
    func stop() {
        self.servers.withLock { $0 }.forEach { $0.terminate(grace: .seconds(5)) }
        let port = String(self.redis.split(separator: ":").last ?? "6379")
        let host = String(self.redis.split(separator: ":").first ?? "127.0.0.1")
        if let cli = try? ChildProcess(
            "redis-cli", ["-h", host, "-p", port, "DEL"] + self.addresses.map { "krpc:fault:\($0)" })
        {
            for _ in 0..<200 where cli.isRunning { usleep(10_000) }
            cli.terminate(grace: .milliseconds(100))
        }
    }

    /// `HOST:PORT` from the server's `listening on HOST:PORT` line.
    static func listeningAddress(in log: String) -> String? {
        for line in log.split(separator: "\n") where line.hasPrefix("listening on ") {
            return String(line.dropFirst("listening on ".count)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

extension TmuxSession {
    /// A tmux format evaluated for the session's pane, e.g. `#{alternate_on}`.
    func display(_ format: String) throws -> String {
        let out = NSTemporaryDirectory() + "krpc-tmux-display-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = try ChildProcess("tmux", ["-S", self.socketPath, "display", "-p", "-t", "t", format], logPath: out)
        for _ in 0..<1000 where p.isRunning { usleep(5_000) }
        guard p.exitCode == 0 else { throw TestEnvironmentError(message: "tmux display failed: \(p.log())") }
        return p.log().trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
