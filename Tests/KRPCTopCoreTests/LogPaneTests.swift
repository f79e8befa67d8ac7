import KRPCPolicy
import Testing
@testable import KRPCTopCore

/// The event log as a pane: Tab focuses it, arrows, pages and the wheel scroll it, `/` searches it, Enter shows
/// one line in full; the renderer draws all of it.
@Suite("Event log pane")
struct LogPaneTests {
    /// 30 distinct events on three nodes (nothing folds), newest at t0 + 30.
    static func snapshot() -> DashboardSnapshot {
        var events: [DashboardEvent] = []
        for i in 0..<30 {
            let node = [Fixtures.a8000, Fixtures.a9000, Fixtures.a10000][i % 3]
            events.append(DashboardEvent(time: Fixtures.t0 + Double(i), node: node, kind: .faultSet("delay:\(i)"),
                                         reason: i == 29 ? String(repeating: "a long reason ", count: 12) + "end"
                                             : "ttl \(i)s"))
        }
        var snapshot = Fixtures.snapshot(events: events.reversed())
        snapshot.utcOffsetSeconds = 0
        return snapshot
    }

    static func press(_ view: inout ViewState, _ keys: Key...) {
        for key in keys { _ = view.apply(.key(key)) }
    }

    static func logRows(_ b: ScreenBuffer) -> [String] {
        let title = b.row(containing: "─ events") ?? 0
        return Array(b.lines[(title + 1)..<(b.height - 1)])
    }

    @Test("Tab focuses the log; arrows, pages, End and the wheel move its selection; Tab gives the focus back")
    func scrolling() throws {
        var view = Fixtures.view(Self.snapshot(), width: 80, height: 24)
        #expect(view.logLines.count == 30)
        Self.press(&view, .tab)
        #expect(view.logFocused)
        let viewport = view.logViewport
        #expect(viewport > 3)
        Self.press(&view, .down, .down)
        #expect(view.logSelection == 2)
        // The table's selection does not move while the log has the focus.
        #expect(view.selectedAddress == Fixtures.a8000)
        Self.press(&view, .pageDown)
        #expect(view.logSelection == 2 + viewport - 1)
        Self.press(&view, .end)
        #expect(view.logSelection == 29)
        #expect(view.logScrollOffset == 30 - viewport)
        _ = view.apply(.mouse(.wheelUp))
        #expect(view.logSelection == 28)
        var b = Renderer.render(view)
        let selectedRow = try #require(b.row(containing: "delay:1 set"))
        #expect(b.lines[selectedRow].hasPrefix(">"))
        #expect(b[selectedRow, 5]?.isSelected == true)
        #expect(b.lines[(b.row(containing: "─ events") ?? 0)].contains("\(30 - viewport + 1)-30/30"))
        #expect(b.lines[23].contains("Tab table"))
        Self.press(&view, .home)
        #expect(view.logSelection == 0 && view.logScrollOffset == 0)
        Self.press(&view, .tab)
        #expect(!view.logFocused)
        Self.press(&view, .down)
        #expect(view.selectedAddress == Fixtures.a9000)
        b = Renderer.render(view)
        #expect(!Self.logRows(b).contains { $0.hasPrefix(">") })
    }

    @Test("/ searches the focused log; Esc clears the search, then leaves the log")
    func search() {
        var view = Fixtures.view(Self.snapshot(), width: 80, height: 24)
        Self.press(&view, .tab, .character("/"), .character("d"), .character("e"), .character("l"))
        #expect(view.logSearchInput == "del")
        var b = Renderer.render(view)
        #expect(b.lines[23].hasPrefix("/del"))
        Self.press(&view, .character("a"), .character("y"), .character(":"), .character("2"), .enter)
        #expect(view.logSearch == "delay:2")
        // delay:2 and delay:20 ... delay:29
        #expect(view.logLines.count == 11)
        b = Renderer.render(view)
        #expect(Self.logRows(b).filter { $0.contains("fault delay:2") }.count == min(11, view.logViewport))
        #expect(b.lines[(b.row(containing: "─ events") ?? 0)].contains("/delay:2"))
        Self.press(&view, .escape)
        #expect(view.logSearch.isEmpty && view.logLines.count == 30 && view.logFocused)
        Self.press(&view, .escape)
        #expect(!view.logFocused)
    }

    @Test("Enter shows the selected line in full, wrapped; Enter or Esc closes it")
    func fullText() {
        var view = Fixtures.view(Self.snapshot(), width: 40, height: 24)
        Self.press(&view, .tab, .enter)
        #expect(view.logExpanded)
        let b = Renderer.render(view)
        let rows = Self.logRows(b)
        #expect(rows.contains { $0.contains("node   127.0.0.1:10000") })
        #expect(rows.contains { $0.contains("what   fault delay:29 set") })
        #expect(rows.contains { $0.contains("end") })  // the reason's last word, after wrapping
        #expect(rows.allSatisfy { !$0.contains("…") })
        Self.press(&view, .enter)
        #expect(!view.logExpanded)
        Self.press(&view, .enter, .escape)
        #expect(!view.logExpanded && view.logFocused)
    }

    @Test("a folded line in full lists its pattern and count")
    func foldedFullText() {
        let t = Fixtures.t0
        var events: [DashboardEvent] = []
        for k in 0..<3 {
            events.append(DashboardEvent(time: t + Double(k), kind: .panic(true)))
            events.append(DashboardEvent(time: t + Double(k) + 0.5, kind: .panic(false)))
        }
        var snapshot = Fixtures.snapshot(events: events.reversed())
        snapshot.utcOffsetSeconds = 0
        var view = Fixtures.view(snapshot, width: 80, height: 40)
        #expect(view.logLines.count == 1)
        Self.press(&view, .tab, .enter)
        let rows = Self.logRows(Renderer.render(view))
        #expect(rows.contains { $0.contains("repeat 3 times (6 events) since 12:03:04, each time:") })
        #expect(rows.contains { $0.contains("- panic mode off") })
        #expect(rows.contains { $0.contains("- PANIC mode on") }, "\(rows)")
    }

    @Test("the folded log and the pane at 40x12 and 20x5")
    func smallSizes() {
        var view = Fixtures.view(Self.snapshot(), width: 40, height: 12)
        Self.press(&view, .tab, .down)
        let medium = Renderer.render(view)
        #expect(medium.lines.contains { $0.hasPrefix(">") && $0.contains("delay:28") })
        var tiny = Fixtures.view(Self.snapshot(), width: 20, height: 5)
        Self.press(&tiny, .tab, .down, .enter)
        let b = Renderer.render(tiny)
        #expect(b.lines.count == 5 && b.lines[4].hasPrefix("q"))
    }
}
