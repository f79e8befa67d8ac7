import Testing
@testable import KRPCTopCore

/// The table over the sliding window: window figures, `-` for a node without calls in it, ERR% by severity,
/// GONE rows for departed nodes, and the empty table told apart from an unreached ZooKeeper.
@Suite("Renderer: window figures and GONE rows")
struct RendererWindowTests {
    /// The broken fixture, gone 12 s ago (figures frozen), and a healthy node without calls in the window.
    static func snapshot() -> DashboardSnapshot {
        var gone = Fixtures.broken
        gone.departedFor = .seconds(12)
        var idle = Fixtures.halfOpen
        idle.state = .healthy
        idle.reason = nil
        idle.nextProbeIn = nil
        idle.window = WindowFigures(length: .seconds(10))
        idle.calls = 5000  // totals since start: never in the table
        idle.errors = 4000
        var failing = Fixtures.healthy
        failing.state = .broken
        failing.window = Fixtures.window(calls: 40, errors: 30, p50: 100, p99: 900)
        return Fixtures.snapshot(nodes: [failing, idle], departed: [gone])
    }

    @Test("80x24: window figures, '-' without calls, a dimmed GONE row after the present ones")
    func wide() throws {
        let b = Renderer.render(Fixtures.view(Self.snapshot(), width: 80, height: 24))
        let failing = try #require(b.row(containing: "127.0.0.1:8000"))
        #expect(b.lines[failing].contains("   40  75%"))
        #expect(b.style(of: "75%", row: failing) == .broken)  // ≥ 50 %: red
        let idle = try #require(b.row(containing: "127.0.0.1:10000"))
        #expect(b.lines[idle].contains("     0    -     -     -"))  // totals 5000/4000 not shown
        #expect(!b.lines[idle].contains("80%"))
        let gone = try #require(b.row(containing: "127.0.0.1:9000"))
        #expect(gone > idle)  // departed rows after the present ones
        #expect(b.lines[gone].hasPrefix(" 127.0.0.1:9000  ○ GONE       12s"))
        #expect(b.lines[gone].contains(" 1100 0.5% 380µs 2.4ms"))  // frozen as it left
        #expect(b.style(of: "GONE", row: gone) == .dim)
        #expect(b.style(of: "1100", row: gone) == .dim)
        #expect(b.style(of: "127.0.0.1:9000", row: gone) == .dim)
        // No detail line for a departed node, though it had a fault and a reason.
        #expect(!b.lines[gone + 1].contains("probe in"))
    }

    @Test("40x12 and 20x5: the GONE row stays readable")
    func narrow() throws {
        let medium = Renderer.render(Fixtures.view(Self.snapshot(), width: 40, height: 12))
        let row = try #require(medium.row(containing: "127.0.0.1:9000"))
        #expect(medium.lines[row] == " 127.0.0.1:9000  ○ GONE      0.5% 2.4ms")
        let idle = try #require(medium.row(containing: "127.0.0.1:10000"))
        #expect(medium.lines[idle].hasSuffix("   -     -"))
        let tiny = Renderer.render(Fixtures.view(Self.snapshot(), width: 20, height: 5))
        #expect(tiny.lines.contains(" 127.0.0.1:9000  ○"))
        let gone = try #require(tiny.row(containing: "127.0.0.1:9000"))
        #expect(tiny[gone, 17]?.style == .dim)
    }

    @Test("ERR% colours by severity")
    func severity() {
        #expect(Renderer.errorSeverity(nil) == .text)
        #expect(Renderer.errorSeverity(0) == .text)
        #expect(Renderer.errorSeverity(0.1) == .halfOpen)
        #expect(Renderer.errorSeverity(12) == .warning)
        #expect(Renderer.errorSeverity(50) == .broken)
        #expect(Renderer.errorSeverity(100) == .broken)
    }

    @Test("no nodes: 'ZooKeeper not reached' unless the registry answered")
    func emptyTable() throws {
        var snapshot = Fixtures.snapshot(nodes: [])
        snapshot.zookeeper = .connecting
        var b = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        #expect(b.row(containing: "ZooKeeper not reached (connecting)") != nil)
        #expect(b.row(containing: "no nodes registered") == nil)
        snapshot.zookeeper = .connected
        b = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        #expect(b.row(containing: "no nodes registered for this method") != nil)
        snapshot.zookeeper = .disabled  // --nodes: the list is the registry
        b = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        #expect(b.row(containing: "no nodes registered for this method") != nil)
    }

    @Test("the header shows the window's length")
    func header() {
        var snapshot = Self.snapshot()
        snapshot.window = WindowFigures(length: .seconds(30))
        let b = Renderer.render(Fixtures.view(snapshot, width: 100, height: 24))
        #expect(b.lines[0].hasSuffix("window 30s"))
    }
}
