import KRPCPolicy
@testable import KRPCTopCore
import Testing

/// The services view, the node detail, the cluster graphs and the latency column's title, on the screen buffer.
@Suite("renderer: services view, node detail, graphs")
struct RendererViewsTests {
    static var services: [ServiceSummary] {
        [
            ServiceSummary(service: "UserServiceRpc", method: "Login", registered: 3, seenHealthy: 2,
                           redisCalls: 12_345, redisErrors: 67, callRate: 49.5, errorPercent: 33.3),
            ServiceSummary(service: "Echo", method: "Echo", registered: 3, redisCalls: 900, redisErrors: 0,
                           callRate: 0, errorPercent: nil),
            ServiceSummary(service: "Health", method: "Check", registered: 3),
        ].sorted { $0.name < $1.name }
    }

    static func servicesSnapshot(history: ClusterHistory = ClusterHistory()) -> DashboardSnapshot {
        var s = DashboardSnapshot(service: "", method: "", zookeeper: .connected,
                                  zookeeperSessionTimeout: .seconds(4), redis: .connected)
        s.services = Self.services
        s.history = history
        return s
    }

    static func servicesView(_ snapshot: DashboardSnapshot, width: Int, height: Int) -> ViewState {
        var view = ViewState(size: ScreenSize(width: width, height: height), screen: .services)
        view.feed(.snapshot(snapshot))
        return view
    }

    static var detail: NodeDetail {
        NodeDetail(
            address: Fixtures.a9000,
            leaf: NodeDetail.Leaf(path: "/UserServiceRpc/Login/127.0.0.1:9000",
                                  data: #"{"host":"127.0.0.1","port":9000}"#,
                                  ephemeralOwner: 0x1000_0383_e930_0002, sessionLive: true,
                                  createdAtMilliseconds: Int64(Fixtures.t0 * 1000)),
            server: NodeDetail.Server(uptime: .seconds(192), methods: [
                .init(name: "Echo.Echo", calls: 0, errors: 0, inFlight: 0, p50Microseconds: 0),
                .init(name: "UserServiceRpc.Login", calls: 1200, errors: 40, inFlight: 1, p50Microseconds: 400),
            ]),
            faultValue: "error", faultTTL: .milliseconds(42_100),
            failures: [NodeDetail.Failure(time: Fixtures.t0 + 5, message: "internal 'injected error'", count: 5)],
            breaker: NodeDetail.BreakerSettings(failureThreshold: 5, failureRate: "50% of ≥20 calls in 10s",
                                                cooldownInitial: .milliseconds(200), cooldownMax: .seconds(30),
                                                probeInterval: .seconds(1)),
            currentCooldown: .milliseconds(400), tripCount: 3,
            timeline: StateTimeline(
                states: Array(repeating: .healthy, count: 10) + Array(repeating: .broken, count: 5)))
    }

    static func detailView(width: Int, height: Int) -> ViewState {
        var snapshot = Fixtures.snapshot()
        var broken = Fixtures.broken
        broken.timeInEpisode = .seconds(192)
        broken.window = WindowFigures(
            length: .seconds(10), calls: 40, errors: 38, timeouts: 2, p50Microseconds: 410, p90Microseconds: 900,
            p99Microseconds: 2400, p999Microseconds: 9000, maxMicroseconds: 12_000,
            latencyBins: [.init(upperMicroseconds: 1000, count: 30), .init(upperMicroseconds: 3000, count: 8),
                          .init(upperMicroseconds: 10_000, count: 1), .init(upperMicroseconds: nil, count: 1)])
        snapshot.nodes = [Fixtures.healthy, broken, Fixtures.halfOpen]
        snapshot.detail = Self.detail
        var view = ViewState(size: ScreenSize(width: width, height: height))
        view.feed(.snapshot(snapshot))
        view.feed(.key(.down))  // 127.0.0.1:9000
        #expect(view.feed(.key(.enter)) == [.watchDetail(Fixtures.a9000)])
        return view
    }

    static var history: ClusterHistory {
        var h = ClusterHistory()
        for i in 0..<90 {
            h.append(callRate: Double(40 + i % 20), errorPercent: i > 60 ? 30 : 0,
                     p99Microseconds: 2000 + (i % 5) * 300)
        }
        return h
    }

    @Test("services view at 80x24: one row per method with nodes, healthy, rate, error %, Redis totals; graphs")
    func services80x24() {
        let b = Renderer.render(Self.servicesView(Self.servicesSnapshot(history: Self.history), width: 80, height: 24))
        #expect(Array(b.lines[0...5]) == [
            "krpc-top  services 3 methods · 9 nodes  calls 49.5/s  window 10s",
            "Enter calls the selected method  zk connected (4.0s)  redis connected",
            " METHOD               NODES HEALTHY CALLS/S  ERR%   REDIS ERRORS",
            ">Echo.Echo                3       -       0     -     900      0",
            " Health.Check             3       -       -     -       -      -",
            " UserServiceRpc.Login     3       2    49.5   33%   12345     67",
        ])
        // Fewer healthy than registered is a warning; an error rate of a third is one too.
        #expect(b.style(of: "2", row: 5) == .warning)
        #expect(b.style(of: "33%", row: 5) == .warning)
        #expect((0..<80).allSatisfy { b[3, $0]?.isSelected == true })
        // The graphs: titles with the newest value, the y axis labelled with its maximum and 0, the x axis with the
        // span shown and "now".
        #expect(b.lines[16] == " calls/s now 49             errors % now 30%           p99 now 3.2ms")
        #expect(b.lines[17].hasPrefix(" 59│") && b.lines[17].contains("30%│") && b.lines[17].contains("3.2ms│"))
        #expect(b.lines[21].hasPrefix("  0│") && b.lines[21].contains("0.0%│") && b.lines[21].contains("0µs│"))
        #expect(b.lines[22] == "    -22s               now       -20s             now        -19s            now")
        #expect(b.lines[23] == "q/^C quit  ? help  e error  t timeout  d delay  c clear  Enter call method")
        // The errors graph: 30 % for the last 29 seconds fills the plot's 20 columns to the top.
        let errorsPlot = b.column(of: "30%│", row: 17).map { $0 + 4 } ?? 0
        #expect((17...21).allSatisfy { row in
            (errorsPlot..<(errorsPlot + 20)).allSatisfy { b[row, $0]?.character == "█" }
        })
    }

    @Test("services view at 40x12 and 20x5: the name and node count stay; no graphs")
    func servicesSmall() {
        let snapshot = Self.servicesSnapshot(history: Self.history)
        let medium = Renderer.render(Self.servicesView(snapshot, width: 40, height: 12))
        #expect(medium.lines == [
            "services 3 methods · 9 nodes",
            "zk connected (4.0s)  redis connected",
            " METHOD            NODES HEALTHY CALLS/S",
            ">Echo.Echo             3       -       0",
            " Health.Check          3       -       -",
            " UserServiceRpc.L…     3       2    49.5",
            "", "", "", "", "",
            "q/^C quit  ? help  Enter call method",
        ])
        let tiny = Renderer.render(Self.servicesView(snapshot, width: 20, height: 5))
        #expect(tiny.lines == [
            "services 3 methods …",
            ">Echo.Echo         3",
            " Health.Check      3",
            " UserServiceR…     3",
            "q/^C quit  ? help",
        ])
    }

    @Test("services view: ↓ and Enter open a method's node view (effect openMethod); Esc comes back")
    func servicesNavigation() {
        var view = Self.servicesView(Self.servicesSnapshot(), width: 80, height: 24)
        view.feed(.key(.down))
        view.feed(.key(.down))
        #expect(view.feed(.key(.enter)) == [.openMethod(service: "UserServiceRpc", method: "Login")])
        #expect(view.screen == .nodes)
        var watched = Fixtures.snapshot()
        watched.services = Self.services
        view.feed(.snapshot(watched))
        #expect(Renderer.render(view).lines[0].hasPrefix("krpc-top  UserServiceRpc.Login"))
        #expect(view.feed(.key(.escape)) == [])
        #expect(view.screen == .services)
        #expect(view.selectedServiceIndex == 2)
        // Without methods: says why.
        var empty = DashboardSnapshot(service: "", method: "", zookeeper: .disconnected)
        empty.servicesProblem = "registry not read: ZooKeeper not reached"
        let b = Renderer.render(Self.servicesView(empty, width: 80, height: 24))
        #expect(b.lines[3] == " registry not read: ZooKeeper not reached")
    }

    @Test("node detail at 120x40: every part of the story, labelled in words")
    func detail120x40() {
        let b = Renderer.render(Self.detailView(width: 120, height: 40))
        #expect(Array(b.lines[2...20]) == [
            "─ 127.0.0.1:9000 ─ UserServiceRpc.Login " + String(repeating: "─", count: 80),
            " State     ✖ BROKEN for 3m12s (this state 4.2s)",
            " Probing   next probe in 1.2s · cool-down 0.4s · opened 3 times",
            " Timeline  -15s ▁▁▁▁▁▁▁▁▁▁█████ now",
            " Breaker   opens after 5 failures in a row or 50% of ≥20 calls in 10s; cool-down 0.2s…30s;"
                + " probe every 1.0s",
            " Reason    5 consecutive failures: internal 'injected error'",
            " Failures  12:03:09 internal 'injected error' ×5",
            " Window    10s: calls 40 errors 38 timeouts 2 err 95%",
            " Total     calls 1100 errors 5 timeouts 0 err 0.5%",
            " Latency   p50 410µs p90 900µs p99 2.4ms p99.9 9.0ms max 12ms",
            " Histogram ≤1.0ms █ 30  ≤3.0ms ▃ 8  ≤10ms ▁ 1  >1.00s ▁ 1",
            " Redis     calls 9876 rate 0/s",
            " Fault     error expires in 42s",
            " ZooKeeper /UserServiceRpc/Login/127.0.0.1:9000",
            "           session 0x10000383e9300002 live · created 12:03:04",
            #"           {"host":"127.0.0.1","port":9000}"#,
            " Server    up 3m12s in flight 1",
            "           Echo.Echo calls 0 errors 0 in flight 0",
            "           UserServiceRpc.Login calls 1200 errors 40 in flight 1",
        ])
        #expect(b.style(of: "BROKEN", row: 3) == .broken)
        #expect(b.style(of: "live", row: 16) == .ok)
        #expect(b.style(of: "95%", row: 9) == .broken)
        #expect(b[5, 26]?.style == .broken && b[5, 16]?.style == .healthy)
    }

    @Test("node detail: a probe that is out reads 'probe sent … ago' on the Probing line")
    func detailProbeOut() throws {
        var view = Self.detailView(width: 80, height: 24)
        var snapshot = try #require(view.snapshot)
        snapshot.nodes[1].nextProbeIn = .zero
        snapshot.nodes[1].probeSentAgo = .milliseconds(400)
        view.feed(.snapshot(snapshot))
        let b = Renderer.render(view)
        #expect(b.lines[4] == " Probing   probe sent 0.4s ago · cool-down 0.4s · opened 3 times")
    }

    @Test("node detail at 80x24, 40x12 and 20x5: wrapped in words, cut at the bottom, scrolled with ↓; Esc goes back")
    func detailSmall() {
        let b = Renderer.render(Self.detailView(width: 80, height: 24))
        #expect(b.lines[3] == " State     ✖ BROKEN for 3m12s (this state 4.2s)")
        #expect(b.lines[4] == " Probing   next probe in 1.2s · cool-down 0.4s · opened 3 times")
        #expect(Array(b.lines[6...7]) == [
            " Breaker   opens after 5 failures in a row or 50% of ≥20 calls in 10s;",
            "           cool-down 0.2s…30s; probe every 1.0s",
        ])
        #expect(b.lines[23] == "q/^C quit  ? help  e error  t timeout  d delay  c clear  s sort  Esc back")
        let medium = Renderer.render(Self.detailView(width: 40, height: 12))
        #expect(medium.lines == [
            "UserServiceRpc.Login  rate 49.8 of 50/s",
            "zk connected (4.0s)  redis connected",
            "─ 127.0.0.1:9000 ─ UserServiceRpc.Login",
            " State     ✖ BROKEN for 3m12s (this sta…",
            " Probing   next probe in 1.2s · cool-do…",
            " Timeline  -15s ▁▁▁▁▁▁▁▁▁▁█████ now",
            " Breaker   opens after 5 failures in a",
            "           row or 50% of ≥20 calls in",
            "           10s; cool-down 0.2s…30s;",
            "           probe every 1.0s",
            " Reason    5 consecutive failures:",
            "q/^C quit  ? help  e error  Esc back",
        ])
        let tiny = Renderer.render(Self.detailView(width: 20, height: 5))
        #expect(tiny.lines == [
            "UserServiceRpc.Login",
            "─ 127.0.0.1:9000 ─ U",
            " State     ✖ BROKEN…",
            " Probing   next pro…",
            "q/^C quit  ? help",
        ])
        // ↓ scrolls the story; the server's view is at the end.
        var view = Self.detailView(width: 40, height: 12)
        for _ in 0..<30 { view.feed(.key(.down)) }
        let end = Renderer.render(view).lines
        #expect(end[10] == "           UserServiceRpc.Login calls 1…", "\(end)")
        #expect(end.contains { $0.hasPrefix(" Server    up 3m12s") }, "\(end)")
        // Esc: back to the node table, the detail no longer read.
        #expect(view.feed(.key(.escape)) == [.watchDetail(nil)])
        #expect(view.screen == .nodes)
    }

    @Test("latency column: its title sits flush right over the sparkline and gives the scale, at every size")
    func latencyColumn() {
        for (width, height) in [(80, 24), (40, 12), (20, 5), (120, 40)] {
            let b = Renderer.render(Fixtures.view(width: width, height: height))
            guard let header = b.lines.firstIndex(where: { $0.contains(" ADDRESS") }) else {
                #expect(height < 10, "no table header at \(width)x\(height)")
                continue
            }
            guard let title = b.column(of: "LAT", row: header) else {
                #expect(width < 60, "no latency column at \(width)x\(height)")
                continue
            }
            guard let scale = b.column(of: "≤2.8ms", row: header) else {
                Issue.record("no scale in \(b.lines[header])")
                continue
            }
            let titleEnd = scale + 6
            // The sparkline of the healthy node (60 seconds) ends in the same column as the title.
            let row = header + 1
            let sparkEnd = (0..<b.width).last { [.sparkLow, .sparkMid, .sparkHigh].contains(b[row, $0]?.style) }
            #expect(sparkEnd.map { $0 + 1 } == titleEnd, "\(width)x\(height):\n\(b.lines.joined(separator: "\n"))")
            #expect(title < titleEnd)
        }
    }

    @Test("sparkline scale: the 95th percentile, so one spike does not flatten the other seconds")
    func sparklineScale() {
        let steady: [Int?] = (0..<59).map { _ in 400 } + [1_000_000]
        let scale = Sparkline.scale([steady])
        #expect(scale == 400)
        let cells = Sparkline.cells(steady, width: 60, maximum: scale, glyphs: Glyphs(ascii: false))
        #expect(cells.last?.0 == "█")  // the spike: a full bar (clipped)
        #expect(cells.dropLast().allSatisfy { $0.0 == "█" })  // the steady seconds are at the scale, not flattened
        let mixed: [Int?] = (0..<59).map { 200 + ($0 % 2) * 200 } + [1_000_000]
        let levels = Sparkline.cells(mixed, width: 60, maximum: Sparkline.scale([mixed]), glyphs: Glyphs(ascii: false))
        #expect(Set(levels.dropLast().map(\.0)) == ["▄", "█"])
        #expect(Sparkline.scale([[1, 2, 3]]) == 3)  // fewer than 20 values: the maximum
        #expect(Sparkline.scale([[nil]]) == 0)
    }
}

@Suite("reducer: screens")
struct ScreenReducerTests {
    @Test("on the services view, fault and load keys say why they do nothing; on the detail, faults act on its node")
    func keysPerScreen() {
        var view = RendererViewsTests.servicesView(RendererViewsTests.servicesSnapshot(), width: 80, height: 24)
        #expect(view.feed(.key(.character("e"))) == [])
        #expect(view.statusMessage?.text == "no node selected: Enter opens the selected method's nodes")
        #expect(view.feed(.key(.character("+"))) == [])
        #expect(view.statusMessage?.text == "no method called yet: Enter calls the selected one")
        #expect(view.feed(.key(.character(" "))) == [])

        var detail = RendererViewsTests.detailView(width: 80, height: 24)
        #expect(detail.feed(.key(.character("e")))
                == [.setFault(node: Fixtures.a9000, value: "error", ttl: detail.configuration.faultTTL)])
        // A snapshot that re-sorts the table does not change the node the detail is about.
        #expect(detail.detailAddress == Fixtures.a9000)
        #expect(detail.feed(.key(.left)) == [.watchDetail(nil)])
        #expect(detail.screen == .nodes)
        #expect(detail.feed(.key(.left)) == [])
        #expect(detail.screen == .services)
    }
}
