import Foundation
import KRPCTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP port that takes connections (the kernel completes the handshake up to the backlog) and never answers:
/// a ZooKeeper or Redis that hangs.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else {
            if fd >= 0 { close(fd) }
            throw TestEnvironmentError(message: "cannot open a silent listener: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.descriptor = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(self.descriptor) }
}

/// `krpc-top --once` ends on time whatever ZooKeeper and Redis do, and prints its report when told to stop.
@Suite("krpc-top --once: on time, and a report on SIGINT/SIGTERM", .serialized)
struct TopOnceTests {
    @Test("--once ends within --duration + 0.5 s when ZooKeeper and Redis never answer")
    func onTimeWithSilentServers() async throws {
        let zk = try SilentListener()
        let redis = try SilentListener()
        let directory = NSTemporaryDirectory() + "krpc-top-once-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = directory + "/top.log"
        let top = try ChildProcess(
            Binaries.path("krpc-top"),
            ["--zk", "127.0.0.1:\(zk.port)", "--redis", "127.0.0.1:\(redis.port)", "--once", "--duration", "2",
             "--json", "--log-file", log],
            environment: ["SWIFT_BACKTRACE": "enable=no"], logPath: directory + "/top.out")
        // From its first log line (the process loaded, the options checked: what a busy machine delays before
        // krpc-top runs at all) to its exit: --duration + 0.5 s. Before the fix it ended 2.2 s late.
        try await waitUntil("krpc-top --once started", timeout: .seconds(10), pollEvery: .milliseconds(5)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("starting")
        }
        let started = ContinuousClock.now
        let exited = try await top.waitForExit(timeout: .seconds(10))
        let took = ContinuousClock.now - started
        #expect(exited)
        #expect(top.exitCode == 0, "\(top.log())")
        #expect(took < .milliseconds(2500), "took \(took)")
        let report = top.log()
        #expect(report.contains("\"zookeeper\" : \"connecting\""), "\(report)")
        #expect(report.contains("\"nodes\" : ["), "\(report)")
        try? FileManager.default.removeItem(atPath: directory)
    }

    @Test("SIGTERM or SIGINT during --once prints the report so far", arguments: [SIGTERM, SIGINT])
    func signalPrintsReport(signal: Int32) async throws {
        let zk = try SilentListener()
        let directory = NSTemporaryDirectory() + "krpc-top-once-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = directory + "/top.log"
        let top = try ChildProcess(
            Binaries.path("krpc-top"),
            ["--zk", "127.0.0.1:\(zk.port)", "--no-redis", "--once", "--duration", "60", "--json", "--log-file", log],
            environment: ["SWIFT_BACKTRACE": "enable=no"], logPath: directory + "/top.out")
        defer { top.kill() }
        // Running: the log says so once the quit handlers are installed.
        try await waitUntil("krpc-top --once running", timeout: .seconds(10)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("running until the report")
        }
        top.signal(signal)
        #expect(try await top.waitForExit(timeout: .seconds(3)), "krpc-top did not exit on signal \(signal)")
        #expect(top.exitCode == (signal == SIGINT ? 0 : 128 + signal), "\(top.log())")
        let report = top.log()
        #expect(report.contains("\"service\" : \"UserServiceRpc\""), "\(report)")
        #expect(report.contains("\"window_s\" : 10"), "\(report)")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
