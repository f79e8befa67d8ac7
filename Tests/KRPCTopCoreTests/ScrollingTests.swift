import Testing
@testable import KRPCTopCore

@Suite("Scrolling through 200 nodes")
struct ScrollingTests {
    static func tableAddresses(_ b: ScreenBuffer) -> [String] {
        (3..<17).map { String(b.lines[$0].dropFirst().prefix(15)).trimmingSpaces() }
    }

    @Test("the table shows a window of nodes that follows the selection")
    func followSelection() {
        var view = Fixtures.view(Fixtures.snapshot(nodes: Fixtures.nodes(200)), width: 80, height: 24)
        var b = Renderer.render(view)
        #expect(Self.tableAddresses(b).first == "10.0.0.1:8000")
        #expect(Self.tableAddresses(b).last == "10.0.0.14:8000")
        #expect(b.lines[23].hasSuffix("1-14/200"))
        #expect(b.lines[17].hasPrefix("─ events"))

        for _ in 0..<20 { view.feed(.key(.character("j"))) }
        b = Renderer.render(view)
        #expect(view.selectedAddress?.description == "10.0.0.21:8000")
        #expect(Self.tableAddresses(b).first == "10.0.0.8:8000")
        #expect(b.lines[16].hasPrefix(">10.0.0.21:8000"))
        #expect(b.lines[23].hasSuffix("8-21/200"))

        // Moving back up inside the window does not scroll.
        view.feed(.key(.up))
        #expect(view.scrollOffset == 7)
        // Above the window, it scrolls so the selection is the first row.
        for _ in 0..<15 { view.feed(.key(.up)) }
        #expect(view.scrollOffset == 4 && view.selectedIndex == 4)

        view.feed(.key(.end))
        b = Renderer.render(view)
        #expect(Self.tableAddresses(b).last == "10.0.0.200:8000")
        #expect(b.lines[16].hasPrefix(">10.0.0.200:8000"))
        #expect(b.lines[23].hasSuffix("187-200/200"))

        view.feed(.key(.pageUp))
        #expect(view.selectedIndex == 186)
        view.feed(.key(.home))
        #expect(view.selectedIndex == 0 && view.scrollOffset == 0)
        view.feed(.key(.pageDown))
        #expect(view.selectedIndex == 13)
    }

    @Test("a shrinking terminal keeps the selection visible")
    func resizeKeepsSelection() {
        var view = Fixtures.view(Fixtures.snapshot(nodes: Fixtures.nodes(200)), width: 80, height: 24)
        for _ in 0..<13 { view.feed(.key(.down)) }
        #expect(view.scrollOffset == 0)
        view.feed(.resize(ScreenSize(width: 20, height: 5)))
        let b = Renderer.render(view)
        #expect(b.lines[1...3].contains { $0.hasPrefix(">10.0.0.14:8000") })
        #expect(view.scrollOffset == 11)
    }

    @Test("two-line nodes scroll as a unit and never leave the selection off screen")
    func detailLines() {
        var nodes = Fixtures.nodes(30)
        for i in stride(from: 0, to: 30, by: 2) {
            nodes[i].state = .broken
            nodes[i].reason = "reason \(i)"
        }
        var view = Fixtures.view(Fixtures.snapshot(nodes: nodes), width: 80, height: 24)
        for step in 0..<29 {
            view.feed(.key(.down))
            let b = Renderer.render(view)
            let marked = b.lines.filter { $0.hasPrefix(">") }
            #expect(marked.count == 1, "step \(step)")
            #expect(marked.first?.hasPrefix(">\(nodes[step + 1].address)") == true, "step \(step)")
        }
    }

    @Test("offset arithmetic")
    func offsets() {
        #expect(TableScroll.offset(current: 0, selected: 5, heights: Array(repeating: 1, count: 10), viewport: 3) == 3)
        #expect(TableScroll.offset(current: 5, selected: 2, heights: Array(repeating: 1, count: 10), viewport: 3) == 2)
        #expect(TableScroll.offset(current: 9, selected: 9, heights: Array(repeating: 1, count: 10), viewport: 3) == 7)
        #expect(TableScroll.offset(current: 4, selected: nil, heights: [1, 1, 1, 1, 1], viewport: 10) == 0)
        #expect(TableScroll.offset(current: 0, selected: 2, heights: [2, 2, 2], viewport: 3) == 2)
        #expect(TableScroll.offset(current: 0, selected: 0, heights: [], viewport: 3) == 0)
        #expect(TableScroll.offset(current: 3, selected: 1, heights: [1, 1], viewport: 0) == 0)
    }
}
