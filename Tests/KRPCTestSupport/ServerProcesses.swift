import Foundation

/// A private ZooKeeper for tests that stop and restart it (the shared one from `demo-cluster/test`
/// must stay up for the others). Started the way `demo-cluster/lib/servers.sh` starts one.
public final class ZooKeeperProcess: Sendable {
    public let port: Int
    public let directory: String
    private let process: SendableBox<ChildProcess?>

    /// `127.0.0.1:port`.
    public var address: String { "127.0.0.1:\(self.port)" }

    /// Starts a standalone server on a free port (or `port`), with tickTime 500 ms, and waits until it serves.
    public init(port: Int? = nil, directory: String? = nil) async throws {
        self.port = port ?? TCPProbe.freePort()
        self.directory = directory ?? NSTemporaryDirectory() + "krpc-zk-\(UUID().uuidString)"
        self.process = SendableBox(nil)
        try await self.start()
    }

    /// Starts (again) on the same port and data directory; waits until `srvr` says it serves.
    public func start() async throws {
        try FileManager.default.createDirectory(atPath: self.directory + "/data", withIntermediateDirectories: true)
        let cfg = [
            "tickTime=500", "dataDir=\(self.directory)/data", "clientPort=\(self.port)",
            "clientPortAddress=127.0.0.1", "admin.enableServer=false", "4lw.commands.whitelist=*", "maxClientCnxns=0",
        ].joined(separator: "\n")
        try cfg.write(toFile: self.directory + "/zoo.cfg", atomically: true, encoding: .utf8)
        let p = try ChildProcess(
            "java",
            [
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", "/usr/share/java/zookeeper.jar",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.directory + "/zoo.cfg",
            ],
            logPath: self.directory + "/zookeeper.log"
        )
        self.process.value = p
        let port = self.port
        try await waitUntil("ZooKeeper on port \(port) to serve (log: \(p.logPath))", timeout: .seconds(30)) {
            guard p.isRunning else { throw TestEnvironmentError(message: "ZooKeeper exited; log: \(p.logPath)") }
            return FourLetterWord.send("srvr", port: port).hasPrefix("Zookeeper version")
        }
    }

    /// Stops the server at once (SIGKILL: a JVM takes seconds to honor SIGTERM, and a test must not block
    /// a thread of the 2-thread concurrency pool that long; to its clients it looks like a crash).
    public func stop() {
        self.process.value?.kill()
        self.process.value = nil
    }

    deinit { self.process.value?.terminate(grace: .milliseconds(100)) }
}

/// A private redis-server for tests that stop and restart it.
public final class RedisProcess: Sendable {
    public let port: Int
    public let directory: String
    private let process: SendableBox<ChildProcess?>

    public var address: String { "127.0.0.1:\(self.port)" }

    public init(port: Int? = nil) async throws {
        self.port = port ?? TCPProbe.freePort()
        self.directory = NSTemporaryDirectory() + "krpc-redis-\(UUID().uuidString)"
        self.process = SendableBox(nil)
        try await self.start()
    }

    /// Starts (again) on the same port; waits until it accepts connections.
    public func start() async throws {
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        let p = try ChildProcess(
            "redis-server",
            [
                "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dir", self.directory,
            ],
            logPath: self.directory + "/redis.log"
        )
        self.process.value = p
        let port = self.port
        try await waitUntil("redis on port \(port) to accept (log: \(p.logPath))", timeout: .seconds(15)) {
            guard p.isRunning else { throw TestEnvironmentError(message: "redis-server exited; log: \(p.logPath)") }
            return TCPProbe.accepts(host: "127.0.0.1", port: port, timeout: .milliseconds(200))
        }
    }

    public func stop() {
        self.process.value?.terminate()
        self.process.value = nil
    }

    /// SIGKILL (`kill -9`): Redis gets no chance to save; ``start()`` then loads the last dump in
    /// ``directory``.
    public func kill() {
        self.process.value?.kill()
        self.process.value = nil
    }

    deinit { self.process.value?.terminate(grace: .milliseconds(100)) }
}

/// ZooKeeper's four-letter-word commands, with a receive timeout (a socket accepted during start-up
/// may never be answered: PLATFORM.md §2 pitfall 2).
public enum FourLetterWord {
    public static func send(_ word: String, port: Int, host: String = "127.0.0.1") -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        addr.sin_addr.s_addr = inet_addr(host)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return "" }
        _ = word.withCString { write(fd, $0, strlen($0)) }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
