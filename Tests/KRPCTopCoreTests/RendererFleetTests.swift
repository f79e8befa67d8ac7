import Testing
@testable import KRPCTopCore

/// The FLEET column and the "broken here only" mark: how every live client sees each node.
@Suite("Renderer: the fleet column")
struct RendererFleetTests {
    /// This client first, then two others.
    static func fleet(_ own: NodeState, _ others: NodeState...) -> FleetFigures {
        FleetFigures(
            entries: [FleetFigures.Entry(client: "a:1:krpc-top", state: own, isSelf: true)]
                + others.enumerated().map { FleetFigures.Entry(client: "b:\($0.offset):client-b", state: $0.element) })
    }

    /// 8000 healthy everywhere; 9000 broken here, healthy for both others; 10000 half-open here, broken for one.
    static var snapshot: DashboardSnapshot {
        var healthy = Fixtures.healthy
        healthy.fleet = Self.fleet(.healthy, .healthy, .healthy)
        var broken = Fixtures.broken
        broken.fleet = Self.fleet(.broken, .healthy, .healthy)
        var halfOpen = Fixtures.halfOpen
        halfOpen.fleet = Self.fleet(.halfOpen, .broken, .healthy)
        return Fixtures.snapshot(nodes: [healthy, broken, halfOpen])
    }

    @Test("figures: counts, worst state, broken here only")
    func figures() {
        let mine = Self.fleet(.broken, .healthy, .healthy)
        #expect(mine.clients == 3 && mine.healthy == 2 && mine.broken == 1 && mine.halfOpen == 0)
        #expect(mine.worst == .broken && mine.brokenHereOnly)
        #expect(mine.cell(ascii: false) == "2/3 ✖" && mine.cell(ascii: true) == "2/3 x")
        // Someone else sees it failing too: not "here only".
        #expect(!Self.fleet(.broken, .halfOpen, .healthy).brokenHereOnly)
        // Half-open here counts as failing here.
        #expect(Self.fleet(.halfOpen, .healthy).brokenHereOnly)
        // Alone, or healthy here: never "here only".
        #expect(!Self.fleet(.broken).brokenHereOnly)
        #expect(!Self.fleet(.healthy, .broken).brokenHereOnly)
        #expect(Self.fleet(.healthy, .broken).cell(ascii: false) == "1/2 ✖")
        #expect(Self.fleet(.healthy, .halfOpen).worst == .halfOpen)
        #expect(Self.fleet(.healthy, .healthy).cell(ascii: false) == "2/2 ●")
    }

    @Test("80x24: FLEET after STATE, coloured by the worst; broken here only in the detail line")
    func fullLayout() {
        let b = Renderer.render(Fixtures.view(Self.snapshot, width: 80, height: 24))
        #expect(Array(b.lines.prefix(8)) == [
            "krpc-top  UserServiceRpc.Login  lb round-robin  rate 49.8 of 50/s  window 10s",
            "qps 149  err 0.3%  p50 410µs  p99 2.9ms  zk connected (4.0s)  redis connected",
            // R/S, the lowest-priority column that fitted before, makes room for FLEET.
            " ADDRESS         STATE       FLEET  AGE REDIS CALLS ERR%   P50   P99  LAT ≤2.8ms",
            ">127.0.0.1:8000  ● HEALTHY   3/3 ●  12m 12345  1234 0.0% 412µs 1.2ms  ▃▄▄▄▃▄▄▄▃▄",
            " 127.0.0.1:9000  ✖ BROKEN    2/3 ✖ 4.2s  9876  1100 0.5% 380µs 2.4ms       ▃▄▆██",
            "   └ probe in 1.2s · fault error · broken here only · 5 consecutive failures: i…",
            " 127.0.0.1:10000 ◐ HALF-OPEN 1/3 ✖ 0.3s 11002  1190 0.1% 450µs 3.1ms",
            "   └ probe in 0.1s · cool-down elapsed",
        ])
        let fleet = b.column(of: "FLEET", row: 2)
        #expect(fleet != nil)
        #expect(b.style(of: "3/3 ●", row: 3) == .healthy)
        #expect(b.style(of: "2/3 ✖", row: 4) == .broken)
        #expect(b.style(of: "1/3 ✖", row: 6) == .broken)
        #expect(b.style(of: "broken here only", row: 5) == .broken)
        // Only the node that fails for this client alone is marked.
        #expect(b.row(containing: "broken here only") == 5)
        #expect(b.lines.filter { $0.contains("broken here only") }.count == 1)
    }

    @Test("40x12: FLEET comes right after ERR% in priority: both fit, P99 drops out")
    func mediumLayout() {
        let b = Renderer.render(Fixtures.view(Self.snapshot, width: 40, height: 12))
        #expect(Array(b.lines.prefix(8)) == [
            "UserServiceRpc.Login  rate 49.8 of 50/s",
            "zk connected (4.0s)  redis connected",
            " ADDRESS         STATE       FLEET ERR%",
            ">127.0.0.1:8000  ● HEALTHY   3/3 ● 0.0%",
            " 127.0.0.1:9000  ✖ BROKEN    2/3 ✖ 0.5%",
            "   └ probe in 1.2s · fault error · brok…",
            " 127.0.0.1:10000 ◐ HALF-OPEN 1/3 ✖ 0.1%",
            "   └ probe in 0.1s · cool-down elapsed",
        ])
    }

    @Test("20x5: no room, the column drops out; address and state glyph stay")
    func tinyLayout() {
        let b = Renderer.render(Fixtures.view(Self.snapshot, width: 20, height: 5))
        #expect(b.lines == [
            "UserServiceRpc.Login",
            ">127.0.0.1:8000  ●",
            " 127.0.0.1:9000  ✖",
            " 127.0.0.1:10000 ◐",
            "q/^C quit  ? help",
        ])
    }

    @Test("no fleet figures (no Redis): no FLEET column, the table as before")
    func noFleet() {
        let b = Renderer.render(Fixtures.view(width: 80, height: 24))
        #expect(b.column(of: "FLEET", row: 2) == nil)
        #expect(b.row(containing: "broken here only") == nil)
    }

    @Test("ASCII: the worst state's ASCII glyph")
    func ascii() {
        let b = Renderer.render(Fixtures.view(Self.snapshot, width: 80, height: 24), options: RenderOptions(ascii: true))
        #expect(b.row(containing: "2/3 x") == 4)
        #expect(b.row(containing: "3/3 +") == 3)
    }
}
