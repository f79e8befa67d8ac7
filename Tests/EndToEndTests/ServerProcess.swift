import Foundation
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCTestSupport
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real `krpc-server` process for the end-to-end tests: started with `--port 0` and a `--log-file`,
/// ready once it printed `listening on HOST:PORT` on stdout.
final class ServerProcess: Sendable {
    let process: ChildProcess
    /// Where the server writes its log (`--log-file`).
    let logFile: String
    /// The address it printed.
    let address: NodeAddress

    /// Starts `krpc-server --port 0 --log-file <temp> <arguments>` and waits for its `listening on` line.
    /// - Throws: when it exits or does not listen within 30 s (the message carries its output).
    static func start(_ arguments: [String]) async throws -> ServerProcess {
        let directory = NSTemporaryDirectory() + "krpc-server-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logFile = directory + "/server.log"
        let process = try ChildProcess(
            Binaries.path("krpc-server"),
            ["--port", "0", "--log-file", logFile] + arguments,
            environment: ["SWIFT_BACKTRACE": "enable=no"],
            logPath: directory + "/stdout.log"
        )
        var address: NodeAddress?
        do {
            try await waitUntil("krpc-server to print 'listening on'", timeout: .seconds(30)) {
                if let found = Self.listeningAddress(in: process.log()) {
                    address = found
                    return true
                }
                guard process.isRunning else {
                    throw TestEnvironmentError(
                        message: "krpc-server exited (\(process.exitCode.map { "\($0)" } ?? "signal")): "
                            + process.log() + ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")
                    )
                }
                return false
            }
        } catch {
            process.terminate(grace: .milliseconds(200))
            throw error
        }
        return ServerProcess(process: process, logFile: logFile, address: address!)
    }

    private init(process: ChildProcess, logFile: String, address: NodeAddress) {
        self.process = process
        self.logFile = logFile
        self.address = address
    }

    deinit {
        self.process.terminate(grace: .seconds(2))
    }

    /// The log file's content so far.
    func log() -> String {
        (try? String(contentsOfFile: self.logFile, encoding: .utf8)) ?? ""
    }

    /// The log lines containing `text`.
    func logLines(containing text: String) -> [Substring] {
        self.log().split(separator: "\n").filter { $0.contains(text) }
    }

    /// Waits until the log has a line containing `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(10)) async throws {
        try await waitUntil(
            "a log line containing '\(text)' from \(self.address); log:\n\(self.log())", timeout: timeout
        ) {
            !self.logLines(containing: text).isEmpty
        }
    }

    /// A new client connection to the server.
    func connect() -> NodeConnection {
        NodeConnection(to: self.address)
    }

    /// Sends SIGTERM and waits for the exit (up to `timeout`); returns the exit code (nil: killed by a signal).
    func terminate(timeout: Duration = .seconds(15)) async throws -> Int32? {
        self.process.signal(SIGTERM)
        guard try await self.process.waitForExit(timeout: timeout) else {
            self.process.terminate(grace: .milliseconds(100))
            throw TestEnvironmentError(message: "krpc-server \(self.address) did not exit within \(timeout) of SIGTERM")
        }
        return self.process.exitCode
    }

    /// `listening on HOST:PORT` in the server's stdout.
    private static func listeningAddress(in output: String) -> NodeAddress? {
        for line in output.split(separator: "\n") where line.hasPrefix("listening on ") {
            return NodeAddress(parsing: line.dropFirst("listening on ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}

/// Runs one of the project's binaries (`krpc-server`, `krpc-top`, `krpc-bench`) with `arguments` to completion
/// (for argument errors).
/// - Returns: its exit code (nil when killed by a signal) and its output.
func runToExit(_ binary: String, _ arguments: [String], timeout: Duration = .seconds(20)) async throws -> (Int32?, String) {
    let process = try ChildProcess(
        Binaries.path(binary),
        arguments,
        environment: ["SWIFT_BACKTRACE": "enable=no"]
    )
    guard try await process.waitForExit(timeout: timeout) else {
        process.terminate(grace: .milliseconds(100))
        throw TestEnvironmentError(message: "\(binary) \(arguments) still running after \(timeout)")
    }
    return (process.exitCode, process.log())
}

/// Helpers shared by the server tests.
enum ServerTest {
    static let login = ServiceKey(service: UserServiceRpc.name, method: UserServiceRpc.login)

    static var quietLogger: Logger { Logger(label: "krpc.server.test") { _ in SwiftLogNoOpLogHandler() } }

    /// Runs `body` with a Redis client on `address` (`host:port`), shut down afterwards.
    static func withRedis<R: Sendable>(
        _ address: String,
        _ body: (RedisClient) async throws -> R
    ) async throws -> R {
        var configuration = try RedisConfiguration(address: address)
        configuration.reconnectInitialBackoff = .milliseconds(20)
        configuration.reconnectMaxBackoff = .milliseconds(200)
        return try await withRedisClient(configuration: configuration, logger: self.quietLogger, body)
    }

    /// The calls counted for `nodes` in `krpc:calls:UserServiceRpc.Login` (only those fields).
    static func loginCalls(of nodes: [NodeAddress], in client: RedisClient) async throws -> [NodeAddress: Int] {
        let totals = try await CallTotals.read(self.login, from: client)
        var result: [NodeAddress: Int] = [:]
        for node in nodes { result[node] = totals.callsByNode[node] ?? 0 }
        return result
    }

    /// Waits until the server behind `connection` has `count` Login calls in flight (its `Stats.Get`, which
    /// injected faults pass by): the honest way to know a request reached it before, e.g., a signal.
    static func waitForLoginsInFlight(_ count: UInt64, on connection: NodeConnection) async throws {
        let stats = StatsClient(connection)
        try await waitUntil("\(count) Login call(s) in flight on the server") {
            try await stats.get().methods.first { $0.service == login.service && $0.method == login.method }?.inFlight
                == count
        }
    }

    /// Runs `redis-cli -p port args…` to completion and returns its output.
    static func redisCLI(port: Int, _ arguments: [String]) async throws -> String {
        let cli = try ChildProcess("redis-cli", ["-p", "\(port)"] + arguments)
        guard try await cli.waitForExit(timeout: .seconds(10)) else {
            cli.terminate(grace: .milliseconds(100))
            throw TestEnvironmentError(message: "redis-cli \(arguments) did not finish in 10 s")
        }
        return cli.log().trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A value behind a lock that closures running concurrently can share.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        self.value.withLock { body(&$0) }
    }
}
