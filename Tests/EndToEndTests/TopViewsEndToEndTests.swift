import Foundation
import KRPCTestSupport
import Testing

/// krpc-top's services view and node detail as a person uses them: the real binary in tmux, against three real
/// `krpc-server` processes registered in the real ZooKeeper and counting in the real Redis of `demo-cluster/test`.
@Suite(
    "krpc-top views end to end",
    .enabled(if: TestEnvironment.isAvailable(.zooKeeper) && TestEnvironment.isAvailable(.redis))
)
struct TopViewsEndToEndTests {
    static let methods = ["Echo.Echo", "Health.Check", "UserServiceRpc.Login"]

    @Test(
        "services view: 3 methods with 3 nodes; Enter twice: a node's detail with Stats.Get uptime and ZK session"
    )
    func servicesViewToNodeDetail() async throws {
        let cluster = try await TopTestCluster.start(count: 3)
        defer { cluster.stop() }
        let topLog = cluster.directory + "/krpc-top.log"
        let script = #""$0" "$@"; echo "krpc-top exited $?"; sleep 600"#
        let tmux = try TmuxSession(
            command: ["sh", "-c", script, Binaries.path("krpc-top")]
                + cluster.topArguments(logFile: topLog, servicesView: true),
            columns: 120, rows: 40)
        defer { tmux.kill() }
        func context() -> String {
            let log = (try? String(contentsOfFile: topLog, encoding: .utf8)) ?? ""
            return "krpc-top log:\n\(log.suffix(3000))\n\(cluster.logs().suffix(2000))"
        }

        // The services view: every method with its 3 registered nodes; nothing called yet (HEALTHY is `-`).
        let services: String
        do {
            // Both links up too: the tree can be listed a refresh before the first Redis read has answered.
            services = try await tmux.waitForScreen(
                "the three methods with 3 nodes each, zk and redis connected", timeout: .seconds(20)
            ) { screen in
                screen.contains("zk connected") && screen.contains("redis connected")
                    && Self.methods.allSatisfy { Self.serviceRow($0, in: screen)?.dropFirst().first == "3" }
            }
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }
        #expect(["METHOD", "NODES", "HEALTHY"].allSatisfy(services.contains), "\(services)")
        #expect(Self.serviceRow("Echo.Echo", in: services)?.dropFirst(2).first == "-", "\(services)")
        // The first row (by name) is selected.
        #expect(services.split(separator: "\n").contains { $0.hasPrefix(">Echo.Echo ") }, "\(services)")

        // Enter: Echo.Echo's node view; the embedded client calls it, so its three nodes turn HEALTHY.
        try tmux.send("Enter")
        let nodes: String
        do {
            nodes = try await tmux.waitForScreen("Echo.Echo's three HEALTHY nodes", timeout: .seconds(20)) { screen in
                screen.split(separator: "\n").first?.contains("Echo.Echo") == true
                    && cluster.addresses.allSatisfy {
                        TopEndToEndTests.row(of: $0, in: screen)?.contains("HEALTHY") == true
                    }
            }
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }
        let selected = try #require(TopEndToEndTests.selectedAddress(in: nodes), "no selected row:\n\(nodes)")

        // Enter again: the node's detail, with the server's uptime (Stats.Get) and the leaf's ZooKeeper session.
        try tmux.send("Enter")
        let detail: String
        do {
            detail = try await tmux.waitForScreen("\(selected)'s detail with uptime and session", timeout: .seconds(10))
            { screen in
                Self.labelled("Server", in: screen)?.contains("up ") == true
                    && screen.contains("session 0x") && screen.contains(" live")
            }
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }
        #expect(detail.contains(selected), "\(detail)")
        let server = Self.labelled("Server", in: detail) ?? ""
        let uptime = Self.word(after: "up", in: server) ?? ""
        #expect(uptime.hasSuffix("s") && uptime.count >= 2, "uptime '\(uptime)' in \(server)")
        // The leaf: under the cluster's root, the node's own path, owned by a session (not 0).
        #expect(detail.contains("\(cluster.root)/Echo/Echo/\(selected)"), "\(detail)")
        #expect(!detail.contains("session 0x0 "), "\(detail)")
        // The server lists its methods (Stats.Get's per-method counts).
        #expect(detail.contains("Echo.Echo calls "), "\(detail)")
        #expect(Self.labelled("State", in: detail)?.contains("HEALTHY") == true, "\(detail)")

        // `e` on the detail: its node, BROKEN, with the failures it gave and the fault key's time left (PTTL).
        try tmux.send("e")
        do {
            let faulted = try await tmux.waitForScreen("the fault and its failures", timeout: .seconds(10)) { screen in
                Self.labelled("State", in: screen)?.contains("BROKEN") == true
                    && Self.labelled("Fault", in: screen)?.contains("error expires in") == true
                    && Self.labelled("Failures", in: screen)?.contains("injected error") == true
            }
            #expect(Self.labelled("Reason", in: faulted)?.contains("injected error") == true, "\(faulted)")
        } catch {
            Issue.record("\(error)\n\(context())")
            throw error
        }
        try tmux.send("c")
        try await tmux.waitForScreen("HEALTHY again, no fault", timeout: .seconds(15)) { screen in
            Self.labelled("State", in: screen)?.contains("HEALTHY") == true
                && Self.labelled("Fault", in: screen)?.contains("none") == true
        }

        // Esc: back to the node view; Esc again: the services view, where Echo.Echo now shows 3 HEALTHY.
        try tmux.send("Escape")
        try await tmux.waitForScreen("the node view again", timeout: .seconds(5)) { screen in
            TopEndToEndTests.row(of: selected, in: screen)?.contains("HEALTHY") == true
        }
        try tmux.send("Escape")
        try await tmux.waitForScreen("the services view, Echo.Echo 3 of 3 HEALTHY", timeout: .seconds(5)) { screen in
            let row = Self.serviceRow("Echo.Echo", in: screen)
            return row?.dropFirst().first == "3" && row?.dropFirst(2).first == "3"
        }
        try tmux.send("q")
        let after = try await tmux.waitForScreen("krpc-top to exit", timeout: .seconds(10)) {
            $0.contains("krpc-top exited")
        }
        #expect(after.contains("krpc-top exited 0"), "\(after)")
    }

    @Test("--once --json lists the registry's methods under services, 3 nodes each, with their Redis totals")
    func onceServices() async throws {
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
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not one JSON object:\n\(text)")
        let services = try #require(json["services"] as? [[String: Any]], "\(text)")
        for name in Self.methods {
            let row = services.first { "\($0["service"] ?? "").\($0["method"] ?? "")" == name }
            #expect(row?["nodes"] as? Int == 3, "\(name) in \(services)")
        }
        // The method --once called: all three seen healthy, and its calls counted in Redis.
        let login = services.first {
            $0["service"] as? String == "UserServiceRpc" && $0["method"] as? String == "Login"
        }
        #expect(login?["healthy"] as? Int == 3, "\(services)")
        #expect((login?["redis_calls"] as? Int ?? 0) > 0, "\(services)")
        let echo = services.first { $0["service"] as? String == "Echo" }
        #expect(echo?["healthy"] is NSNull, "\(services)")
    }

    // MARK: Reading the screen

    /// The words of the services view's row of `method` (`["Echo.Echo", "3", "-", …]`).
    static func serviceRow(_ method: String, in screen: String) -> [String]? {
        for line in screen.split(separator: "\n") {
            let words = line.drop { $0 == ">" || $0 == " " }.split(separator: " ").map(String.init)
            if words.first == method { return words }
        }
        return nil
    }

    /// The node detail's line labelled `label` (`Server    up 12s in flight 0`).
    static func labelled(_ label: String, in screen: String) -> String? {
        screen.split(separator: "\n").map(String.init).first { $0.hasPrefix(" " + label + " ") }
    }

    /// The word after `word` in `line`.
    static func word(after word: String, in line: String) -> String? {
        let words = line.split(separator: " ").map(String.init)
        guard let i = words.firstIndex(of: word), i + 1 < words.count else { return nil }
        return words[i + 1]
    }
}
