import Foundation
import Testing
@testable import KRPCTopCore

@Suite("JSON report (--once --json)")
struct TopReportTests {
    static func object(_ snapshot: DashboardSnapshot) throws -> [String: Any] {
        let text = try TopReport(snapshot).json()
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }

    @Test("a probe that is out: next_probe_ms 0 and probe_sent_ms since it was sent")
    func probeOut() throws {
        var snapshot = Fixtures.snapshot()
        snapshot.nodes[1].nextProbeIn = .zero
        snapshot.nodes[1].probeSentAgo = .milliseconds(300)
        let nodes = try #require(try Self.object(snapshot)["nodes"] as? [[String: Any]])
        #expect(nodes[1]["next_probe_ms"] as? Int == 0)
        #expect(nodes[1]["probe_sent_ms"] as? Int == 300)
    }

    @Test("the contract's keys, with states spelled healthy, half-open, broken")
    func shape() throws {
        let json = try Self.object(Fixtures.snapshot())
        let contract: Set = [
            "service", "method", "balancer", "zookeeper", "redis", "calls", "failures", "nodes", "events",
        ]
        #expect(contract.isSubset(of: Set(json.keys)))
        #expect(json["service"] as? String == "UserServiceRpc")
        #expect(json["method"] as? String == "Login")
        #expect(json["balancer"] as? String == "round-robin")
        #expect(json["zookeeper"] as? String == "connected")
        #expect(json["redis"] as? String == "connected")
        #expect(json["calls"] as? Int == 3500)
        #expect(json["failures"] as? Int == 2)

        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let nodeKeys: Set = [
            "address", "state", "reason", "redis_calls", "calls", "errors", "p50_us", "p99_us", "fault",
        ]
        for node in nodes { #expect(nodeKeys.isSubset(of: Set(node.keys))) }
        #expect(nodes.map { $0["address"] as? String } == ["127.0.0.1:8000", "127.0.0.1:9000", "127.0.0.1:10000"])
        #expect(nodes.map { $0["state"] as? String } == ["healthy", "broken", "half-open"])
        let broken = nodes[1]
        #expect(broken["reason"] as? String == "5 consecutive failures: internal 'injected error'")
        #expect(broken["redis_calls"] as? Int == 9876)
        #expect(broken["calls"] as? Int == 1100)
        #expect(broken["errors"] as? Int == 5)
        #expect(broken["p50_us"] as? Int == 380)
        #expect(broken["p99_us"] as? Int == 2400)
        #expect(broken["fault"] as? String == "error")
        #expect(broken["next_probe_ms"] as? Int == 1200)
        #expect(broken["probe_sent_ms"] is NSNull)
        #expect(broken["since_ms"] as? Int == 4200)
        // Unknown values are null, never missing.
        #expect(nodes[0]["reason"] is NSNull)
        #expect(nodes[0]["fault"] is NSNull)

        let events = try #require(json["events"] as? [[String: Any]])
        let eventKeys: Set = ["time", "node", "from", "to", "reason"]
        for event in events { #expect(eventKeys.isSubset(of: Set(event.keys))) }
        #expect(events[0]["time"] as? String == "2026-11-24T12:03:06.000Z")
        #expect(events[0]["node"] as? String == "127.0.0.1:9000")
        #expect(events[0]["from"] as? String == "healthy")
        #expect(events[0]["to"] as? String == "broken")
        #expect(events[0]["kind"] as? String == "transition")
        #expect(events[2]["node"] is NSNull && events[2]["from"] is NSNull && events[2]["to"] is NSNull)
        #expect(events[2]["reason"] as? String == "connected")
        #expect(events[2]["kind"] as? String == "zookeeper")
    }

    @Test("timeouts are reported apart from answered errors, and error_percent counts both")
    func timeouts() throws {
        var node = Fixtures.broken
        node.calls = 30
        node.errors = 0
        node.timeouts = 10
        node.window = Fixtures.window(calls: 30, errors: 0, timeouts: 10, p50: 300, p99: 900)
        let json = try Self.object(Fixtures.snapshot(nodes: [node], events: []))
        let reported = try #require((json["nodes"] as? [[String: Any]])?.first)
        #expect(reported["calls"] as? Int == 30)
        #expect(reported["errors"] as? Int == 0)
        #expect(reported["timeouts"] as? Int == 10)
        #expect(reported["error_percent"] as? Double == 25)
        // The table shows the same 25 % (a hanging node does not look healthy there).
        let screen = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 100, height: 12))
        let row = try #require(screen.row(containing: node.address.description))
        #expect(screen.lines[row].contains(" 25% "))
        #expect(screen.style(of: "25%", row: row) == .warning)
    }

    @Test("the window: window_s, the caller's window, each node's window and totals, departed nodes")
    func window() throws {
        var snapshot = Fixtures.snapshot()
        snapshot.window = WindowFigures(length: .milliseconds(2500), calls: 90, errors: 5, timeouts: 10,
                                        p50Microseconds: 400, p99Microseconds: 9000)
        var gone = Fixtures.halfOpen
        gone.address = Fixtures.address("127.0.0.1:11000")
        gone.departedFor = .seconds(12)
        snapshot.departed = [gone]
        let json = try Self.object(snapshot)
        #expect(json["window_s"] as? Double == 2.5)
        let window = try #require(json["window"] as? [String: Any])
        #expect(window["calls"] as? Int == 90)
        #expect(window["errors"] as? Int == 5)
        #expect(window["timeouts"] as? Int == 10)
        #expect(window["error_percent"] as? Double == 15)
        #expect(window["p50_us"] as? Int == 400)
        #expect(window["p99_us"] as? Int == 9000)
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let broken = try #require(nodes.first { $0["address"] as? String == "127.0.0.1:9000" })
        let nodeWindow = try #require(broken["window"] as? [String: Any])
        #expect(nodeWindow["calls"] as? Int == 1100)
        #expect(nodeWindow["errors"] as? Int == 5)
        #expect(nodeWindow["p99_us"] as? Int == 2400)
        for key in ["calls", "errors", "timeouts", "error_percent", "p50_us", "p99_us"] {
            #expect(nodeWindow.keys.contains(key), "window.\(key)")
        }
        let totals = try #require(broken["totals"] as? [String: Any])
        #expect(totals["calls"] as? Int == 1100)
        #expect(totals["errors"] as? Int == 5)
        #expect(broken["departed_ms"] == nil)
        let departed = try #require(json["departed"] as? [[String: Any]])
        #expect(departed.count == 1)
        #expect(departed.first?["address"] as? String == "127.0.0.1:11000")
        #expect(departed.first?["departed_ms"] as? Int == 12_000)
    }

    @Test("every state and kind spelled as the contract says")
    func spellings() throws {
        let t = Fixtures.t0
        var snapshot = Fixtures.snapshot(events: [
            DashboardEvent(time: t + 0.25, node: Fixtures.a10000, kind: .transition(from: .broken, to: .halfOpen)),
            DashboardEvent(time: t, node: Fixtures.a10000, kind: .transition(from: .halfOpen, to: .healthy)),
        ])
        snapshot.zookeeper = .expired
        snapshot.redis = .disabled
        let json = try Self.object(snapshot)
        #expect(json["zookeeper"] as? String == "expired")
        #expect(json["redis"] as? String == "disabled")
        let events = try #require(json["events"] as? [[String: Any]])
        #expect(events.map { "\($0["from"] ?? "")>\($0["to"] ?? "")" } == ["broken>half-open", "half-open>healthy"])
        #expect(events[0]["time"] as? String == "2026-11-24T12:03:04.250Z")
    }

    @Test("round trip, and stable, sorted output")
    func roundTrip() throws {
        let report = TopReport(Fixtures.snapshot())
        let text = try report.json()
        let decoded = try JSONDecoder().decode(TopReport.self, from: Data(text.utf8))
        #expect(decoded == report)
        #expect(try report.json() == text)
        #expect(!(try report.json(pretty: false)).contains("\n"))
    }

    @Test("non-finite numbers become null instead of failing")
    func nonFinite() throws {
        var snapshot = Fixtures.snapshot()
        snapshot.clusterQPS = .nan
        snapshot.achievedRate = .infinity
        let json = try Self.object(snapshot)
        #expect(json["cluster_qps"] is NSNull)
        #expect(json["rate_achieved"] as? Double == 0)
    }
}
