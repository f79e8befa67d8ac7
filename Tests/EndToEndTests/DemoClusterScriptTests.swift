import Foundation
import KRPCTestSupport
import Testing

/// The demo-cluster launcher scripts, run as a user runs them: up, status, fault, up again, down.
/// Private ports and run directory, so they never touch a demo the user has running; the binaries are
/// the ones this test run built (`KRPC_BIN`), so `--no-build`.
@Suite("demo-cluster scripts", .serialized)
struct DemoClusterScriptTests {
    struct Run {
        var status: Int32?
        var output: String
    }

    let directory = NSTemporaryDirectory() + "krpc-demo-test-\(UUID().uuidString.prefix(8))"
    let zkPort = TCPProbe.freePort()
    let redisPort = TCPProbe.freePort()
    let nodePorts = (0..<3).map { _ in TCPProbe.freePort() }

    var environment: [String: String] {
        [
            "KRPC_DEMO_DIR": self.directory,
            "KRPC_DEMO_ZK_PORT": "\(self.zkPort)",
            "KRPC_DEMO_REDIS_PORT": "\(self.redisPort)",
            "KRPC_BIN": Binaries.productsDirectory,
        ]
    }

    func script(_ name: String, _ arguments: [String] = [], timeout: Duration = .seconds(60)) async throws -> Run {
        let process = try ChildProcess(
            Binaries.packageRoot + "/demo-cluster/" + name,
            arguments,
            environment: self.environment
        )
        if !(try await process.waitForExit(timeout: timeout)) {
            await process.stop()
            return Run(status: nil, output: process.log() + "\n(timed out)")
        }
        return Run(status: process.exitCode, output: process.log())
    }

    func pids() -> [Int32] {
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: self.directory)) ?? []
        return files.filter { $0.hasSuffix(".pid") }.compactMap {
            (try? String(contentsOfFile: self.directory + "/" + $0, encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    @Test("up starts everything and waits for registration, status reports it, fault sets a key, down stops it all")
    func upStatusFaultDown() async throws {
        let ports = self.nodePorts.map(String.init).joined(separator: ",")
        defer { _ = try? FileManager.default.removeItem(atPath: self.directory) }

        let up = try await self.script("up", ["--no-build", "--ports", ports])
        #expect(up.status == 0, "\(up.output)")
        #expect(up.output.contains("cluster up"), "\(up.output)")
        let pids = self.pids()
        #expect(pids.count == 5, "zookeeper, redis and three nodes: \(pids)")

        let status = try await self.script("status")
        #expect(status.status == 0, "\(status.output)")
        for port in self.nodePorts {
            #expect(status.output.contains("node 127.0.0.1:\(port)") && status.output.contains("registered"), "\(status.output)")
        }

        let fault = try await self.script("fault", ["\(self.nodePorts[0])", "error", "--ttl", "30"])
        #expect(fault.status == 0, "\(fault.output)")
        let withFault = try await self.script("status")
        #expect(withFault.output.contains("fault: error"), "\(withFault.output)")
        let bad = try await self.script("fault", ["\(self.nodePorts[0])", "explode"])
        #expect(bad.status != 0 && bad.output.contains("unknown fault 'explode'"), "\(bad.output)")
        let tooLong = try await self.script("fault", ["\(self.nodePorts[0])", "delay:86400001"])
        #expect(tooLong.status != 0 && tooLong.output.contains("at most a day"), "\(tooLong.output)")

        // up twice is harmless: nothing new starts.
        let again = try await self.script("up", ["--no-build", "--ports", ports])
        #expect(again.status == 0, "\(again.output)")
        #expect(Set(self.pids()) == Set(pids))

        let down = try await self.script("down")
        #expect(down.status == 0, "\(down.output)")
        for pid in pids { #expect(kill(pid, 0) != 0, "process \(pid) still running after down") }
        for port in [self.zkPort, self.redisPort] + self.nodePorts {
            #expect(!TCPProbe.accepts(host: "127.0.0.1", port: port, timeout: .milliseconds(200)), "port \(port) still held")
        }
    }

    @Test("a port already taken is refused with its number")
    func takenPortRefused() async throws {
        defer { _ = try? FileManager.default.removeItem(atPath: self.directory) }
        // Something else holds the ZooKeeper port.
        let holder = try ChildProcess("python3", ["-c", "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', \(self.zkPort))); s.listen(); time.sleep(60)"])
        defer { holder.kill() }
        try await waitUntil("the holder listens") { TCPProbe.accepts(host: "127.0.0.1", port: self.zkPort, timeout: .milliseconds(100)) }
        let up = try await self.script("up", ["--no-build", "--ports", self.nodePorts.map(String.init).joined(separator: ",")])
        #expect(up.status != 0)
        #expect(up.output.contains("port \(self.zkPort) (ZooKeeper) is already in use"), "\(up.output)")
        _ = try await self.script("down")
    }
}
