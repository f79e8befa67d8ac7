import KRPCPolicy
import KRPCTopCore
import KRPCTopTerminal
import Testing

/// ``ScreenBuffer/terminalRows(palette:)``: what krpc-top hands ncurses each frame.
@Suite("Terminal frames")
struct TerminalFrameTests {
    static func snapshot(host: String = "127.0.0.1") -> DashboardSnapshot {
        func node(_ port: Int, _ state: NodeState, fault: String? = nil) -> NodeSnapshot {
            NodeSnapshot(
                address: NodeAddress(host: host, port: port), state: state, timeInState: .seconds(3),
                reason: state == .healthy ? nil : "5 consecutive failures: internal 'injected error'",
                nextProbeIn: state == .healthy ? nil : .milliseconds(800), redisCalls: 120, redisCallRate: 16,
                calls: 100, errors: state == .healthy ? 0 : 5, p50Microseconds: 400, p99Microseconds: 1200,
                latencyHistory: (0..<20).map { Optional(300 + $0 * 50) }, fault: fault)
        }
        return DashboardSnapshot(
            service: "UserServiceRpc", method: "Login", targetRate: 50, achievedRate: 49.9, clusterQPS: 150,
            calls: 300, failures: 0, errorPercent: 0, p50Microseconds: 400, p99Microseconds: 1200,
            zookeeper: .connected, redis: .connected,
            nodes: [node(8000, .healthy), node(9000, .broken, fault: "error"), node(10000, .halfOpen)],
            events: [
                DashboardEvent(
                    time: 1_795_521_784, node: NodeAddress(host: host, port: 9000),
                    kind: .transition(from: .healthy, to: .broken), reason: "5 consecutive failures")
            ])
    }

    /// Draws the runs on a blank grid the way ncurses would after `werase`, as text rows of `width` cells.
    static func replay(_ rows: [[TerminalRun]], width: Int) -> [String] {
        rows.map { runs in
            var line = [Character?](repeating: " ", count: width)  // nil: the right half of a wide grapheme
            for run in runs {
                var column = run.column
                for character in run.text {
                    guard column < width else { break }
                    line[column] = character
                    // A wide grapheme covers the next cell too; the buffer holds a blank there.
                    let value = character.unicodeScalars.first?.value ?? 0
                    let wide =
                        (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
                        || (0xF900...0xFAFF).contains(value) || (0xFF00...0xFF60).contains(value)
                    if wide && column + 1 < width { line[column + 1] = nil }
                    column += wide ? 2 : 1
                }
            }
            return String(line.compactMap { $0 })
        }
    }

    @Test(
        "replaying the runs on an erased screen gives the buffer's text",
        arguments: [
            (ColorDepth.xterm256, false), (.ansi8, false), (.monochrome, false), (.xterm256, true),
        ])
    func replayMatchesBuffer(depth: ColorDepth, ascii: Bool) throws {
        for theme in [Theme.default, Theme.monochrome] {
            var view = ViewState(size: ScreenSize(width: 100, height: 24))
            _ = view.apply(.snapshot(Self.snapshot()))
            let buffer = Renderer.render(view, options: RenderOptions(ascii: ascii))
            let rows = buffer.terminalRows(palette: TerminalPalette(theme: theme, depth: depth))
            #expect(rows.count == 24)
            #expect(Self.replay(rows, width: 100) == buffer.paddedLines)
        }
    }

    @Test("wide graphemes are written once and their right halves skipped")
    func wideGraphemes() throws {
        var view = ViewState(size: ScreenSize(width: 80, height: 12))
        _ = view.apply(.snapshot(Self.snapshot(host: "节点")))
        let buffer = Renderer.render(view)
        let rows = buffer.terminalRows(palette: TerminalPalette(theme: .default, depth: .xterm256))
        let text = rows.flatMap { $0 }.map(\.text).joined()
        #expect(text.contains("节点"))
        #expect(Self.replay(rows, width: 80) == buffer.paddedLines)
    }

    @Test("runs are merged: neighbours on a row differ in style or are separated by a long blank gap")
    func runsAreMerged() throws {
        var view = ViewState(size: ScreenSize(width: 120, height: 30))
        _ = view.apply(.snapshot(Self.snapshot()))
        let rows = Renderer.render(view).terminalRows(palette: TerminalPalette(theme: .default, depth: .xterm256))
        for runs in rows {
            for (a, b) in zip(runs, runs.dropFirst()) {
                #expect(b.column >= a.column + a.text.count)
                if a.style == b.style { #expect(b.column - (a.column + a.text.count) > 4, "\(a) \(b)") }
            }
            for run in runs { #expect(!run.text.isEmpty) }
        }
        // A blank row of the default theme produces no run at all.
        #expect(rows.contains { $0.isEmpty })
    }

    @Test("true colour is drawn with the 256-colour palette; styles keep their attributes")
    func paletteDepth() {
        let palette = TerminalPalette(theme: .default, depth: .trueColor)
        #expect(palette.depth == .xterm256)
        #expect(palette.style(.broken, selected: false).bold)
        #expect(palette.style(.healthy, selected: false).foreground >= 0)
        let mono = TerminalPalette(theme: .default, depth: .monochrome)
        #expect(mono.style(.healthy, selected: false).foreground == -1)
        #expect(mono.style(.text, selected: true).reverse)
    }
}
