import Foundation
import KRPCRedis
import KRPCTestSupport
import Testing

/// krpc-top in a client host of the hosts-mode demo, read off its screen in tmux: the FLEET column, and
/// "broken here only" while a node is cut off from this client's host alone — cut off and healed with krpc-top's
/// own `p` and `h` keys (it runs the demo's fault script), as `demo-cluster/run --hosts` starts it. In
/// ``HostsModeTests``'s suite: its helpers, its private run directory and namespace prefix, its skip where
/// namespaces cannot be made.
extension HostsModeTests {
    @Test("krpc-top on host a in tmux: FLEET 2/2; p cuts a node off from a only: 1/2, broken here only; h heals")
    func topShowsTheFleet() async throws {
        defer { _ = try? FileManager.default.removeItem(atPath: self.directory) }
        let up = try await self.script("up", ["--hosts", "--no-build", "--nodes", "3"])
        var downDone = false
        defer {
            if !downDone { _ = Self.shell([Binaries.packageRoot + "/demo-cluster/down"], environment: self.environment) }
        }
        try #require(up.status == 0, "\(up.output)")
        let client = try await self.script("client", ["b", "--background", "--duration", "120", "--rate", "20"])
        try #require(client.status == 0, "\(client.output)")

        let topLog = self.directory + "/krpc-top.log"
        let tmux = try TmuxSession(
            command: [
                "ip", "netns", "exec", "\(self.prefix)-a", Binaries.path("krpc-top"), "--zk", "10.213.0.2:2181",
                "--redis", "10.213.0.2:6379", "--service", "UserServiceRpc", "--method", "Login", "--client-host", "a",
                "--rate", "20", "--log-file", topLog, "--demo-cluster", Binaries.packageRoot + "/demo-cluster",
            ],
            columns: 120, rows: 40, environment: self.environment)
        defer { tmux.kill() }
        func context() -> String {
            let log = (try? String(contentsOfFile: topLog, encoding: .utf8)) ?? ""
            return "krpc-top log:\n\(log.suffix(3000))"
        }
        let node = "10.213.0.11:8000"
        func row(_ screen: String) -> String { TopEndToEndTests.row(of: node, in: screen) ?? "" }
        func detail(_ screen: String) -> String {
            TopEndToEndTests.row(of: node, in: screen).flatMap { TopEndToEndTests.line(after: $0, in: screen) } ?? ""
        }

        // Both clients see every node healthy: 2/2.
        do {
            try await tmux.waitForScreen("FLEET 2/2 ● on every node", timeout: .seconds(30)) { screen in
                screen.contains("FLEET") && ["10.213.0.11:8000", "10.213.0.12:9000", "10.213.0.13:10000"].allSatisfy {
                    TopEndToEndTests.row(of: $0, in: screen)?.contains("2/2 ●") == true
                }
            }
        } catch { Issue.record("\(error)\n\(context())"); throw error }
        // krpc-top publishes its own view, under the host it was given.
        let views = try await self.views()
        #expect(views.contains { $0.client.name == "krpc-top" && $0.client.host == "a" }, "\(views.map(\.client))")

        // p on the selected row (the first: 10.213.0.11:8000) runs `demo-cluster/fault … partition --from a`.
        try tmux.send("p")
        do {
            try await tmux.waitForScreen("the fault script's answer in the status line", timeout: .seconds(20)) {
                $0.contains("partitioned node n8000")
            }
        } catch { Issue.record("\(error)\n\(context())"); throw error }
        let listing = try await self.script("status")
        #expect(listing.output.contains("node n8000 cut off from client a"), "\(listing.output)")
        do {
            let screen = try await tmux.waitForScreen("the node 1/2, broken here only", timeout: .seconds(30)) {
                row($0).contains("1/2 ") && detail($0).contains("broken here only")
            }
            #expect(!row(screen).contains("HEALTHY"), "\(screen)")
            // Only that node is marked.
            #expect(screen.components(separatedBy: "broken here only").count == 2, "\(screen)")
        } catch { Issue.record("\(error)\n\(context())"); throw error }

        // Enter: the node detail lists both clients, this one marked, b seeing the node healthy.
        try tmux.send("Enter")
        do {
            let screen = try await tmux.waitForScreen("the detail's client list", timeout: .seconds(10)) {
                $0.contains("1/2 clients see it healthy") && $0.contains("this client")
            }
            let lines = screen.components(separatedBy: "\n")
            #expect(lines.contains { $0.contains(" a ") && $0.contains("krpc-top/") && $0.contains("this client") },
                    "\(screen)")
            #expect(lines.contains { $0.contains("HEALTHY") && $0.contains(" b ") && $0.contains(" age ") },
                    "\(screen)")
        } catch { Issue.record("\(error)\n\(context())"); throw error }
        // ← twice (Esc's meaning, without the escape-sequence delay): the services view, where Login's six
        // (client, node) views sum to 5 healthy of 6.
        try tmux.send("Left")
        try tmux.send("Left")
        do {
            try await tmux.waitForScreen("the services view's FLEET sum", timeout: .seconds(10)) {
                let login = TopEndToEndTests.row(of: "UserServiceRpc.Login", in: $0) ?? ""
                return $0.contains("FLEET") && login.contains("5/6 ✖")
            }
        } catch { Issue.record("\(error)\n\(context())"); throw error }
        // Back to Login's nodes (the same method: its stack keeps running; the filter selects its row), and h heals.
        try tmux.send("/")
        try tmux.send("-l", "Login")
        try tmux.send("Enter")
        try tmux.send("Enter")
        try await tmux.waitForScreen("Login's node table again", timeout: .seconds(10)) {
            $0.contains(" ADDRESS") && $0.contains("UserServiceRpc.Login") && !row($0).isEmpty
        }
        try tmux.send("h")
        do {
            try await tmux.waitForScreen("the heal's answer in the status line", timeout: .seconds(20)) {
                $0.contains("healed node n8000")
            }
        } catch { Issue.record("\(error)\n\(context())"); throw error }
        do {
            try await tmux.waitForScreen("the node 2/2 ● again", timeout: .seconds(60)) { screen in
                row(screen).contains("2/2 ●") && !screen.contains("broken here only")
            }
        } catch { Issue.record("\(error)\n\(context())"); throw error }

        try tmux.send("q")
        do {
            try await waitUntil("krpc-top exits", timeout: .seconds(10), pollEvery: .milliseconds(100)) {
                try tmux.paneExit() != nil
            }
        } catch {
            let processes = Self.shell([
                "sh", "-c",
                "for p in $(pgrep -f krpc-top); do ps -L -o pid,tid,stat,wchan:32,comm -p $p; "
                    + "for t in /proc/$p/task/*; do echo $t; cat $t/stack; done; done",
            ]).output
            Issue.record("\(error)\nscreen:\n\((try? tmux.screen()) ?? "")\n\(context())\nprocesses:\n\(processes)")
            throw error
        }
        let status = try tmux.paneExit()
        #expect(status == 0, "krpc-top exited with \(String(describing: status))\n\(context())")
        let down = try await self.script("down")
        downDone = true
        #expect(down.status == 0, "\(down.output)")
        #expect(self.demoLeftovers().isEmpty, "left behind: \(self.demoLeftovers())")
    }
}
