import Testing
@testable import KRPCTopCore

@Suite("Renderer layout at each size")
struct RendererLayoutTests {
    @Test("80x24: header, full table with detail lines, event log, key hints")
    func fullLayout() {
        let buffer = Renderer.render(Fixtures.view(width: 80, height: 24))
        #expect(buffer.width == 80 && buffer.height == 24)
        #expect(buffer.lines == [
            "krpc-top  UserServiceRpc.Login  lb round-robin  rate 49.8 of 50/s  window 10s",
            "qps 149  err 0.3%  p50 410µs  p99 2.9ms  zk connected (4.0s)  redis connected",
            " ADDRESS         STATE        AGE REDIS   R/S CALLS ERR%   P50   P99  LAT ≤2.8ms",
            ">127.0.0.1:8000  ● HEALTHY    12m 12345  16.7  1234 0.0% 412µs 1.2ms  ▃▄▄▄▃▄▄▄▃▄",
            " 127.0.0.1:9000  ✖ BROKEN    4.2s  9876     0  1100 0.5% 380µs 2.4ms       ▃▄▆██",
            "   └ probe in 1.2s · fault error · 5 consecutive failures: internal 'injected e…",
            " 127.0.0.1:10000 ◐ HALF-OPEN 0.3s 11002  15.2  1190 0.1% 450µs 3.1ms",
            "   └ probe in 0.1s · cool-down elapsed",
            "─ events ───────────────────────────────────────────────────────────────────────",
            " 12:03:06 127.0.0.1:9000 ● HEALTHY → ✖ BROKEN  5 consecutive failures: internal…",
            " 12:03:05 127.0.0.1:9000 fault error set",
            " 12:03:04 zookeeper connected",
            "", "", "", "", "", "", "", "", "", "", "",
            "q/^C quit  ? help  e error  t timeout  d delay  c clear  s sort  / filter",
        ])
    }

    @Test("80x24 styles: states, selection, sorted column, log, status bar")
    func fullLayoutStyles() {
        let b = Renderer.render(Fixtures.view(width: 80, height: 24))
        // Title and header labels.
        #expect(b[0, 0]?.style == .title)
        #expect(b.style(of: "lb", row: 0) == .dim)
        #expect(b.style(of: "connected", row: 1) == .ok)
        // Column titles; the table is sorted by address.
        #expect(b[2, 1]?.style == .tableHeaderSorted)
        #expect(b.style(of: "STATE", row: 2) == .tableHeader)
        // Each state's glyph and word carry its style.
        #expect(b[3, 17]?.style == .healthy && b[3, 17]?.character == "●")
        #expect(b[3, 25]?.style == .healthy)
        #expect(b[4, 17]?.style == .broken && b[4, 17]?.character == "✖")
        #expect(b[6, 17]?.style == .halfOpen && b[6, 17]?.character == "◐")
        // The selected row, and only it, is marked and highlighted across the whole width.
        #expect(b[3, 0]?.character == ">")
        #expect((0..<80).allSatisfy { b[3, $0]?.isSelected == true })
        #expect((0..<80).allSatisfy { b[4, $0]?.isSelected == false })
        // Error rates above zero are flagged by severity; sparkline levels have their own styles.
        #expect(b.style(of: "0.5%", row: 4) == .halfOpen)
        #expect(b.style(of: "0.0%", row: 3) == .text)
        #expect(b[4, 79]?.style == .sparkHigh)
        #expect(b[4, 75]?.style == .sparkLow)
        // Detail line: connector, fault, reason.
        #expect(b[5, 3]?.style == .border)
        #expect(b.style(of: "error", row: 5) == .fault)
        #expect(b.style(of: "5 consecutive", row: 5) == .reason)
        // Event log.
        #expect(b[8, 2]?.style == .title)
        #expect(b[8, 0]?.style == .border)
        #expect(b.style(of: "12:03:06", row: 9) == .dim)
        #expect(b.style(of: "✖ BROKEN", row: 9) == .broken)
        #expect(b.style(of: "● HEALTHY", row: 9) == .healthy)
        // Status bar: keys and their hints.
        #expect(b.style(of: "q/^C", row: 23) == .statusKey)
        #expect(b.style(of: " quit", row: 23) == .statusBar)
        #expect(b[23, 79]?.style == .statusBar)
    }

    @Test("40x12: columns drop by priority, address and state stay")
    func mediumLayout() {
        let buffer = Renderer.render(Fixtures.view(width: 40, height: 12))
        #expect(buffer.lines == [
            "UserServiceRpc.Login  rate 49.8 of 50/s",
            "zk connected (4.0s)  redis connected",
            " ADDRESS         STATE       ERR%   P99",
            ">127.0.0.1:8000  ● HEALTHY   0.0% 1.2ms",
            " 127.0.0.1:9000  ✖ BROKEN    0.5% 2.4ms",
            "   └ probe in 1.2s · fault error · 5 co…",
            " 127.0.0.1:10000 ◐ HALF-OPEN 0.1% 3.1ms",
            "   └ probe in 0.1s · cool-down elapsed",
            "─ events ───────────────────────────────",
            " 12:03:06 127.0.0.1:9000 ● HEALTHY → ✖ …",
            " 12:03:05 127.0.0.1:9000 fault error set",
            "q/^C quit  ? help  e error  t timeout",
        ])
    }

    @Test("30x8: detail lines still shown because they fit")
    func smallLayoutWithDetails() {
        let buffer = Renderer.render(Fixtures.view(width: 30, height: 8))
        #expect(buffer.lines == [
            "UserServiceRpc.Login",
            " ADDRESS         STATE",
            ">127.0.0.1:8000  ● HEALTHY",
            " 127.0.0.1:9000  ✖ BROKEN",
            "   └ probe in 1.2s · fault er…",
            " 127.0.0.1:10000 ◐ HALF-OPEN",
            "   └ probe in 0.1s · cool-dow…",
            "q/^C quit  ? help  e error",
        ])
    }

    @Test("20x5: usable and quittable; states as glyphs")
    func tinyLayout() {
        let buffer = Renderer.render(Fixtures.view(width: 20, height: 5))
        #expect(buffer.lines == [
            "UserServiceRpc.Login",
            ">127.0.0.1:8000  ●",
            " 127.0.0.1:9000  ✖",
            " 127.0.0.1:10000 ◐",
            "q/^C quit  ? help",
        ])
        #expect(buffer[1, 17]?.style == .healthy)
        #expect(buffer[2, 17]?.style == .broken)
        #expect(buffer[3, 17]?.style == .halfOpen)
    }

    @Test("1x1 shows the quit key's first letter; 0x0 is an empty buffer")
    func degenerateSizes() {
        let one = Renderer.render(Fixtures.view(width: 1, height: 1))
        #expect(one.lines == ["q"])
        let zero = Renderer.render(Fixtures.view(width: 0, height: 0))
        #expect(zero.width == 0 && zero.height == 0 && zero.lines.isEmpty && zero.cells.isEmpty)
    }

    @Test("before the first snapshot: a waiting message, no crash")
    func noSnapshot() {
        let buffer = Renderer.render(Fixtures.view(nil, width: 60, height: 12))
        #expect(buffer.lines[0] == "krpc-top  waiting for the client…")
        #expect(buffer.row(containing: "waiting for the first snapshot") != nil)
        #expect(buffer.lines[11].hasPrefix("q/^C quit"))
    }

    static let sizes: [(Int, Int)] = [
        (0, 0), (1, 1), (0, 10), (10, 0), (1, 24), (80, 1), (2, 2), (3, 3), (5, 2), (9, 3), (12, 4), (20, 5),
        (21, 6), (24, 9), (29, 10), (31, 11), (40, 12), (57, 17), (79, 23), (80, 24), (100, 40), (200, 60),
    ]

    @Test("every size: exact dimensions, nothing wider than the screen, quit hint on the last line",
          arguments: sizes)
    func anySize(width: Int, height: Int) {
        for ascii in [false, true] {
            for configure: (inout ViewState) -> Void in [
                { _ in }, { $0.feed(.key(.character("?"))) }, { $0.feed(.key(.character("/"))) },
                { $0.feed(.key(.tab)); $0.feed(.key(.down)) }, { $0.feed(.key(.tab)); $0.feed(.key(.enter)) },
                { $0.feed(.key(.tab)); $0.feed(.key(.character("/"))) },
            ] {
                let nodes = [Fixtures.healthy, Fixtures.broken, Fixtures.halfOpen] + Fixtures.nodes(30)
                var gone = Fixtures.broken
                gone.address = Fixtures.address("127.0.0.1:11000")
                gone.departedFor = .seconds(3)
                let view = Fixtures.view(Fixtures.snapshot(nodes: nodes, departed: [gone]), width: width,
                                         height: height, configure: configure)
                let b = Renderer.render(view, options: RenderOptions(ascii: ascii))
                #expect(b.width == width && b.height == height && b.cells.count == width * height)
                #expect(b.paddedLines.allSatisfy { DisplayWidth.of($0) == width })
                if ascii {
                    #expect(b.cells.allSatisfy { $0.character.isASCII })
                }
                if height > 0 && width > 0 && view.filterInput == nil && view.logSearchInput == nil && !view.showsHelp {
                    #expect(b.lines[height - 1].hasPrefix("q"))
                }
            }
        }
    }
}
