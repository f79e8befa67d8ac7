import Foundation
import KRPCTestSupport
import Testing

/// krpc-top as a person uses it: the real binary in a real terminal (tmux), against three real `krpc-server`
/// processes registered in the real ZooKeeper and counting in the real Redis of `demo-cluster/test`.
@Suite(
    "krpc-top end to end",
    .enabled(if: TestEnvironment.isAvailable(.zooKeeper) && TestEnvironment.isAvailable(.redis))
)
struct TopEndToEndTests {
    @Test(
        "three HEALTHY nodes; e breaks the selected one within 3 s with its reason; c heals it; q restores the terminal"
    )
    func faultKeysFromTheDashboard() async throws {
        let cluster = try await TopTestCluster.start(count: 3)
        defer { cluster.stop() }
        let topLog = cluster.directory + "/krpc-top.log"
        // A shell around krpc-top reports its exit status and the terminal modes it left behind.
        let script = #""$0" "$@"; echo "krpc-top exited $?"; stty -a; sleep 600"#
        let tmux = try TmuxSession(
            command: ["sh", "-c", script, Binaries.path("krpc-top")] + cluster.topArguments(logFile: topLog),
            columns: 120, rows: 40)
        defer { tmux.kill() }
        func context() -> String {
            let log = (try? String(contentsOfFile: topLog, encoding: .utf8)) ?? ""
            return "krpc-top log:\n\(log.suffix(3000))\n\(cluster.logs().suffix(3000))"
        }

        // Three HEALTHY nodes, with both links up. The nodes can show HEALTHY a refresh before the first Redis read
        // has answered (the header says "redis connecting" then, and `e` would be refused with that reason), so
        // the wait is for both, as an operator's would be.
        let first = try await tmux.waitForScreen("three HEALTHY nodes, zk and redis connected", timeout: .seconds(20)) {
            screen in
            screen.contains("zk connected") && screen.contains("redis connected")
                && cluster.addresses.allSatisfy { Self.row(of: $0, in: screen)?.contains("HEALTHY") == true }
        }

        // `e` on the selected node: BROKEN within 3 s, with the reason, and the transition in the event log.
        let selected = try #require(Self.selectedAddress(in: first), "no selected row:\n\(first)")
        #expect(cluster.addresses.contains(selected))
        try tmux.send("e")
        let broken: String
        do {
            broken = try await tmux.waitForScreen("\(selected) BROKEN with its reason and logged", timeout: .seconds(3))
            {
                screen in
                guard let row = Self.row(of: selected, in: screen), row.contains("BROKEN") else { return false }
                let detail = Self.line(after: row, in: screen) ?? ""
                return detail.contains("injected error")
                    && Self.logLines(of: selected, in: screen).contains { $0.contains("HEALTHY → ✖ BROKEN") }
            }
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }
        let transition = Self.logLines(of: selected, in: broken).first { $0.contains("HEALTHY → ✖ BROKEN") } ?? ""
        #expect(transition.contains("consecutive failures"), "\(broken)")
        #expect(Self.logLines(of: selected, in: broken).contains { $0.contains("fault error set") }, "\(broken)")
        for other in cluster.addresses where other != selected {
            #expect(Self.row(of: other, in: broken)?.contains("HEALTHY") == true, "\(broken)")
        }

        // `c`: HEALTHY again (after the next health probe succeeds), the recovery logged.
        try tmux.send("c")
        do {
            try await tmux.waitForScreen("\(selected) HEALTHY again", timeout: .seconds(15)) { screen in
                Self.row(of: selected, in: screen)?.contains("HEALTHY") == true
                    && Self.logLines(of: selected, in: screen).contains { $0.contains("→ ● HEALTHY") }
                    && Self.logLines(of: selected, in: screen).contains { $0.contains("fault cleared") }
            }
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }

        // `q`: exit status 0, and the terminal is back: main screen, cursor shown, cooked mode with echo.
        try tmux.send("q")
        let after = try await tmux.waitForScreen("krpc-top to exit and stty to report", timeout: .seconds(10)) {
            $0.contains("krpc-top exited") && $0.contains("columns") && $0.contains("icanon")
        }
        #expect(after.contains("krpc-top exited 0"), "\(after)")
        let modes = after.split(separator: "\n").joined(separator: " ")
        #expect(modes.contains(" icanon") && !modes.contains("-icanon"), "\(after)")
        #expect(modes.contains(" echo ") && !modes.contains("-echo "), "\(after)")
        #expect(try tmux.display("#{alternate_on}") == "0")
        #expect(!after.contains("ADDRESS"), "the dashboard is still on screen:\n\(after)")
    }

    @Test("+, b and space reach the load generator and the channel; the dashboard stays usable at 40×12 and 20×5")
    func controlKeysAndSmallTerminals() async throws {
        let cluster = try await TopTestCluster.start(count: 3)
        defer { cluster.stop() }
        let topLog = cluster.directory + "/krpc-top.log"
        // The shell reports the exit status (tmux 3.3a sometimes never reaps a pane that exits right after a resize).
        let script = #""$0" "$@"; echo "exit $?"; sleep 600"#
        let tmux = try TmuxSession(
            command: ["sh", "-c", script, Binaries.path("krpc-top")] + cluster.topArguments(logFile: topLog),
            columns: 100, rows: 30)
        defer { tmux.kill() }
        try await tmux.waitForScreen("three HEALTHY nodes", timeout: .seconds(20)) { screen in
            cluster.addresses.allSatisfy { Self.row(of: $0, in: screen)?.contains("HEALTHY") == true }
        }

        // + : the next rate step; the load generator reaches it (achieved rate above the old target).
        try tmux.send("+")
        try await tmux.waitForScreen("target rate 100/s, achieved above 60/s", timeout: .seconds(5)) { screen in
            guard let header = screen.split(separator: "\n").first, header.contains("of 100/s") else { return false }
            return Self.achievedRate(in: String(header)).map { $0 > 60 } ?? false
        }
        // b : the channel's balancer changes (the header shows what the channel reports).
        try tmux.send("b")
        try await tmux.waitForScreen("balancer weighted-round-robin", timeout: .seconds(3)) {
            $0.split(separator: "\n").first?.contains("lb weighted-round-robin") == true
        }
        // space : paused, and the calls stop (the achieved rate falls to 0).
        try tmux.send("Space")
        try await tmux.waitForScreen("PAUSED with no calls", timeout: .seconds(5)) { screen in
            guard let header = screen.split(separator: "\n").first, header.contains("PAUSED") else { return false }
            return Self.achievedRate(in: String(header)) == 0
        }

        // Small terminals: the nodes and the quit key stay on screen.
        try tmux.resize(columns: 40, rows: 12)
        // (The status line shows the keys again once the "load paused" message has expired.)
        try await tmux.waitForScreen("the table at 40×12", timeout: .seconds(10)) { screen in
            cluster.addresses.allSatisfy { Self.row(of: $0, in: screen) != nil } && screen.contains("q/^C quit")
        }
        try tmux.resize(columns: 20, rows: 5)
        let tiny = try await tmux.waitForScreen("something usable at 20×5", timeout: .seconds(10)) { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count <= 5 && lines.contains { $0.hasPrefix(">127.0.0.1:") } && screen.contains("q")
        }
        #expect(tiny.split(separator: "\n").allSatisfy { $0.count <= 20 }, "\(tiny)")
        try tmux.send("q")
        let after = try await tmux.waitForScreen("krpc-top to exit", timeout: .seconds(10)) { $0.contains("exit ") }
        #expect(after.contains("exit 0"), "\(after)")
    }

    @Test("--once --duration --json prints one JSON report of the running cluster and exits 0")
    func onceJSON() async throws {
        let cluster = try await TopTestCluster.start(count: 3)
        defer { cluster.stop() }
        let output = cluster.directory + "/once.out"
        let top = try ChildProcess(
            Binaries.path("krpc-top"),
            ["--once", "--duration", "3", "--json"] + cluster.topArguments(logFile: cluster.directory + "/once.log"),
            logPath: output)
        defer { top.terminate(grace: .seconds(1)) }
        #expect(try await top.waitForExit(timeout: .seconds(30)), "krpc-top --once did not exit")
        #expect(top.exitCode == 0)
        let text = top.log()
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            "stdout (and stderr) must be exactly one JSON object:\n\(text)")

        #expect(json["service"] as? String == "UserServiceRpc")
        #expect(json["method"] as? String == "Login")
        #expect(json["balancer"] as? String == "round-robin")
        #expect(json["zookeeper"] as? String == "connected")
        #expect(json["redis"] as? String == "connected")
        let calls = try #require(json["calls"] as? Int)
        #expect(calls > 50, "50 calls/s for 3 s should give well over 50 calls; got \(calls)")
        #expect(json["failures"] as? Int == 0)

        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(Set(nodes.compactMap { $0["address"] as? String }) == Set(cluster.addresses))
        let nodeKeys: Set = [
            "address", "state", "reason", "redis_calls", "calls", "errors", "p50_us", "p99_us", "fault",
        ]
        for node in nodes {
            #expect(nodeKeys.isSubset(of: node.keys), "missing keys in \(node)")
            #expect(node["state"] as? String == "healthy")
            #expect(node["reason"] is NSNull)
            #expect(node["fault"] is NSNull)
            #expect((node["calls"] as? Int ?? 0) > 0, "\(node)")
            #expect(node["errors"] as? Int == 0)
            #expect(node["p50_us"] is Int && node["p99_us"] is Int, "\(node)")
            // The servers count every call in Redis (flushed every 100 ms).
            #expect((node["redis_calls"] as? Int ?? 0) > 0, "\(node)")
            // The fleet: at least this client (its live view, first), healthy everywhere.
            let fleet = try #require(node["fleet"] as? [String: Any], "\(node)")
            let clients = try #require(fleet["clients"] as? Int)
            #expect(clients >= 1 && fleet["healthy"] as? Int == clients, "\(fleet)")
            #expect(fleet["half_open"] as? Int == 0 && fleet["broken"] as? Int == 0, "\(fleet)")
            #expect(fleet["broken_here_only"] as? Bool == false, "\(fleet)")
            let views = try #require(fleet["views"] as? [[String: Any]])
            #expect(views.first?["self"] as? Bool == true, "\(fleet)")
            #expect((views.first?["client"] as? String)?.hasSuffix(":krpc-top") == true, "\(fleet)")
        }

        // Publishing the fleet view: 3 s at one view a second, its CPU time accounted next to the process's.
        let cost = try #require(json["fleet_publish"] as? [String: Any], "\(json)")
        #expect((cost["publishes"] as? Int ?? 0) >= 2, "\(cost)")
        let publishing = try #require(cost["cpu_ms"] as? Double)
        let process = try #require(cost["process_cpu_ms"] as? Double)
        #expect(publishing > 0 && process > publishing, "\(cost)")
        // The services list is read too, and the fleet summed per method (this client's view of Login at least).
        let services = try #require(json["services"] as? [[String: Any]])
        let login = try #require(services.first { $0["method"] as? String == "Login" }, "\(services)")
        let fleet = try #require(login["fleet"] as? [String: Any], "\(login)")
        #expect((fleet["views"] as? Int ?? 0) >= 3 && fleet["broken"] as? Int == 0, "\(fleet)")

        let events = try #require(json["events"] as? [[String: Any]])
        let eventKeys: Set = ["time", "node", "from", "to", "reason"]
        for event in events {
            #expect(eventKeys.isSubset(of: event.keys), "missing keys in \(event)")
        }
        let joined = events.filter { $0["kind"] as? String == "joined" }.compactMap { $0["node"] as? String }
        #expect(Set(joined) == Set(cluster.addresses), "\(events)")
    }

    // MARK: Reading the screen

    /// The node row of `address` (the table's, not the event log's).
    static func row(of address: String, in screen: String) -> String? {
        screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).first { line in
            let trimmed = line.drop { $0 == " " || $0 == ">" }
            return trimmed.hasPrefix(address + " ")
        }
    }

    /// The line below `row`.
    static func line(after row: String, in screen: String) -> String? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(of: row), index + 1 < lines.count else { return nil }
        return lines[index + 1]
    }

    /// The address on the selected row (the one marked `>`).
    static func selectedAddress(in screen: String) -> String? {
        for line in screen.split(separator: "\n") where line.hasPrefix(">") {
            return line.dropFirst().split(separator: " ").first.map(String.init)
        }
        return nil
    }

    /// The achieved rate in a header line `… rate 49.9 of 50/s …`.
    static func achievedRate(in header: String) -> Double? {
        let words = header.split(separator: " ")
        guard let index = words.firstIndex(of: "rate"), index + 1 < words.count else { return nil }
        return Double(words[index + 1])
    }

    /// Event log lines about `address`: `HH:MM:SS <address> …`.
    static func logLines(of address: String, in screen: String) -> [String] {
        screen.split(separator: "\n").map(String.init).filter { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            return parts.count >= 2 && parts[0].count == 8 && parts[0].contains(":") && parts[1] == address
        }
    }
}
