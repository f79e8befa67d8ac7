import KRPCPolicy
import Testing
@testable import KRPCTopCore

@Suite("Renderer content: states, addresses, events, help, ASCII")
struct RendererContentTests {
    @Test("every state is told by glyph, word and style", arguments: NodeState.allCases)
    func stateCell(state: NodeState) {
        var node = Fixtures.healthy
        node.state = state
        for ascii in [false, true] {
            let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 80, height: 24),
                                    options: RenderOptions(ascii: ascii))
            let expected = "\(state.glyph(ascii: ascii)) \(state.word)"
            // The address column is as wide as "127.0.0.1:8000"; the state starts after it and a blank.
            #expect(b.column(of: expected, row: 3) == 16)
            #expect((16..<(16 + expected.count)).allSatisfy { b[3, $0]?.style == state.themeKey })
        }
        #expect(NodeState.healthy.word == "HEALTHY" && NodeState.halfOpen.word == "HALF-OPEN"
                && NodeState.broken.word == "BROKEN")
    }

    @Test("BROKEN rows show the reason and the probe countdown")
    func brokenDetail() {
        var node = Fixtures.broken
        node.fault = nil
        node.nextProbeIn = .milliseconds(61_500)
        let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 100, height: 20))
        #expect(b.lines[4] == "   └ probe in 1m01s · 5 consecutive failures: internal 'injected error'")
    }

    @Test("while a probe awaits its answer, the detail line says how long ago it was sent, not 'probe in 0.0s'")
    func probeOut() {
        var node = Fixtures.broken
        node.fault = nil
        node.nextProbeIn = .zero
        node.probeSentAgo = .milliseconds(300)
        let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 100, height: 20))
        #expect(b.lines[4] == "   └ probe sent 0.3s ago · 5 consecutive failures: internal 'injected error'")
    }

    @Test("a healthy node with a fault gets a detail line naming the fault")
    func faultOnHealthyNode() {
        var node = Fixtures.healthy
        node.fault = "delay:500"
        let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 80, height: 20))
        #expect(b.lines[4] == "   └ fault delay:500")
        #expect(b.style(of: "delay:500", row: 4) == .fault)
    }

    @Test("long addresses are cut with an ellipsis and keep their port")
    func longAddresses() {
        let long = Fixtures.address("a-very-long-hostname.cluster.example.internal:8000")
        let nodes = [NodeSnapshot(address: long, state: .broken), Fixtures.healthy]
        let wide = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: nodes, events: []), width: 80, height: 12))
        // The address column is capped at 48 cells; the sparkline no longer fits at 80.
        #expect(wide.lines[2] == " ADDRESS                                          STATE       ERR%   P99")
        #expect(wide.lines[3] == ">127.0.0.1:8000                                   ● HEALTHY   0.0% 1.2ms")
        #expect(wide.lines[4] == " a-very-long-hostname.cluster.example.inter…:8000 ✖ BROKEN       -     -")
        let narrow = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: nodes, events: []), width: 40, height: 12))
        #expect(narrow.lines[3] == ">127.0.0.1:8000              ● HEALTHY")
        #expect(narrow.lines[4] == " a-very-long-hostname.…:8000 ✖ BROKEN")
        let ascii = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: nodes, events: []), width: 40, height: 12),
                                    options: RenderOptions(ascii: true))
        #expect(ascii.lines[4] == " a-very-long-hostname.~:8000 x BROKEN")
    }

    @Test("wide (CJK) characters take two cells and columns stay aligned")
    func wideCharacters() {
        let cjk = NodeSnapshot(address: Fixtures.address("节点一.example:8000"), state: .broken,
                               reason: "服务器内部错误: injected", nextProbeIn: .seconds(1))
        let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [cjk, Fixtures.healthy], events: []),
                                              width: 40, height: 12))
        // "节点一.example:8000" is 19 cells; the state column starts after it and a blank.
        #expect(b[4, 21]?.character == "✖")
        #expect(b[3, 21]?.character == "●")
        #expect(b[4, 1]?.character == "节" && b[4, 1]?.width == 2 && b[4, 2]?.width == 0)
        #expect(b.lines[5] == "   └ probe in 1.0s · 服务器内部错误: in…")
        #expect(b.paddedLines.allSatisfy { DisplayWidth.of($0) == 40 })
        // Cut inside the reason: never half a wide character.
        let narrow = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [cjk], events: []), width: 30, height: 12))
        #expect(narrow.lines[4] == "   └ probe in 1.0s · 服务器内…")
        #expect(narrow.paddedLines.allSatisfy { DisplayWidth.of($0) == 30 })
    }

    @Test("control characters from the network never reach the screen")
    func controlCharacters() {
        let node = NodeSnapshot(address: Fixtures.a8000, state: .broken, reason: "bad\u{1b}[31m\nred\u{202e}x",
                                fault: "error\u{07}")
        let b = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [node], events: []), width: 80, height: 12))
        #expect(b.lines[4] == "   └ fault error? · bad?[31m redx")
        #expect(b.cells.allSatisfy { cell in
            cell.character.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f && $0 != "\u{202e}" }
        })
    }

    @Test("the event log lists every kind, newest first")
    func eventLog() {
        let t = Fixtures.t0
        let events: [DashboardEvent] = [
            DashboardEvent(time: t, kind: .zookeeper(.connected)),
            DashboardEvent(time: t + 7, node: Fixtures.a9000, kind: .transition(from: .broken, to: .halfOpen),
                           reason: "cool-down elapsed"),
            DashboardEvent(time: t + 1, node: Fixtures.a8000, kind: .joined),
            DashboardEvent(time: t + 2, node: Fixtures.a10000, kind: .left),
            DashboardEvent(time: t + 3, kind: .redis(.disconnected), reason: "connection refused"),
            DashboardEvent(time: t + 4, node: Fixtures.a9000, kind: .faultSet("timeout")),
            DashboardEvent(time: t + 5, node: Fixtures.a9000, kind: .faultCleared),
            DashboardEvent(time: t + 6, kind: .panic(true)),
            DashboardEvent(time: t + 6.5, kind: .panic(false)),
        ]
        var snapshot = Fixtures.snapshot(nodes: [Fixtures.healthy], events: events)
        snapshot.utcOffsetSeconds = 3600
        let b = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        let log = Array(b.lines[(b.row(containing: "─ events") ?? 0)...].prefix(11))
        #expect(log == [
            "─ events ───────────────────────────────────────────────────────────────────────",
            " 13:03:11 127.0.0.1:9000 ✖ BROKEN → ◐ HALF-OPEN  cool-down elapsed",
            " 13:03:10 panic mode off",
            " 13:03:10 PANIC mode on",
            " 13:03:09 127.0.0.1:9000 fault cleared",
            " 13:03:08 127.0.0.1:9000 fault timeout set",
            " 13:03:07 redis disconnected  connection refused",
            " 13:03:06 127.0.0.1:10000 left",
            " 13:03:05 127.0.0.1:8000 joined",
            " 13:03:04 zookeeper connected",
            "",
        ])
        let panicRow = b.row(containing: "PANIC mode on") ?? 0
        #expect(b.style(of: "PANIC", row: panicRow) == .broken)
        #expect(b.style(of: "disconnected", row: b.row(containing: "redis disconnected") ?? 0) == .warning)
    }

    @Test("a breaker going round the same two transitions takes one line with a count; other events keep theirs")
    func flappingCollapses() {
        let t = Fixtures.t0
        let probeFailed = "health probe failed: internal 'injected error'"
        var events: [DashboardEvent] = [
            DashboardEvent(time: t, node: Fixtures.a9000, kind: .faultSet("error")),
            DashboardEvent(time: t + 0.5, node: Fixtures.a9000, kind: .transition(from: .healthy, to: .broken),
                           reason: "5 consecutive failures: internal 'injected error'"),
        ]
        // Three cool-downs, each: BROKEN -> HALF-OPEN, then the probe fails.
        for k in 0..<3 {
            let at = t + 1 + Double(k) * 2
            events.append(DashboardEvent(time: at, node: Fixtures.a9000, kind: .transition(from: .broken, to: .halfOpen),
                                         reason: "cool-down over"))
            events.append(DashboardEvent(time: at + 0.2, node: Fixtures.a9000,
                                         kind: .transition(from: .halfOpen, to: .broken), reason: probeFailed))
        }
        // One cycle of another node: not a run, so two lines.
        events.append(DashboardEvent(time: t + 8, node: Fixtures.a8000, kind: .transition(from: .broken, to: .halfOpen),
                                     reason: "cool-down over"))
        events.append(DashboardEvent(time: t + 8.2, node: Fixtures.a8000, kind: .transition(from: .halfOpen, to: .broken),
                                     reason: probeFailed))
        var snapshot = Fixtures.snapshot(nodes: [Fixtures.healthy], events: events)
        snapshot.utcOffsetSeconds = 0
        let b = Renderer.render(Fixtures.view(snapshot, width: 120, height: 24))
        let log = Array(b.lines[((b.row(containing: "─ events") ?? 0) + 1)...].prefix(6))
        #expect(log == [
            " 12:03:12 127.0.0.1:8000 ◐ HALF-OPEN → ✖ BROKEN  \(probeFailed)",
            " 12:03:12 127.0.0.1:8000 ✖ BROKEN → ◐ HALF-OPEN  cool-down over",
            " 12:03:09 127.0.0.1:9000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×3 since 12:03:05  \(probeFailed)",
            " 12:03:04 127.0.0.1:9000 ● HEALTHY → ✖ BROKEN  5 consecutive failures: internal 'injected error'",
            " 12:03:04 127.0.0.1:9000 fault error set",
            "",
        ])
        let ascii = Renderer.render(Fixtures.view(snapshot, width: 120, height: 24), options: RenderOptions(ascii: true))
        #expect(ascii.lines.contains { $0.contains("HALF-OPEN <-> ") && $0.contains("x3 since 12:03:05") })
    }

    @Test("two nodes flapping at once take a line each; another event of the node ends its run")
    func interleavedFlappingCollapses() {
        let t = Fixtures.t0
        let probeFailed = "health probe failed: internal 'injected error'"
        let probeTimedOut = "health probe failed: deadline exceeded"
        func cycle(_ node: NodeAddress, at: Double, _ reason: String) -> [DashboardEvent] {
            [
                DashboardEvent(time: at, node: node, kind: .transition(from: .broken, to: .halfOpen), reason: "cool-down over"),
                DashboardEvent(time: at + 0.1, node: node, kind: .transition(from: .halfOpen, to: .broken), reason: reason),
            ]
        }
        // 9000: two cycles, a fault set, then three more; 8000: four cycles, in step with 9000's.
        var events: [DashboardEvent] = []
        for k in 0..<2 { events += cycle(Fixtures.a9000, at: t + Double(k), probeFailed) }
        events.append(DashboardEvent(time: t + 2, node: Fixtures.a9000, kind: .faultSet("error")))
        events.append(DashboardEvent(time: t + 2.5, node: Fixtures.a10000, kind: .joined))
        for k in 2..<5 { events += cycle(Fixtures.a9000, at: t + Double(k) + 0.3, probeFailed) }
        for k in 1..<5 { events += cycle(Fixtures.a8000, at: t + Double(k) + 0.5, probeTimedOut) }
        var snapshot = Fixtures.snapshot(nodes: [Fixtures.healthy], events: events)
        snapshot.utcOffsetSeconds = 0
        let b = Renderer.render(Fixtures.view(snapshot, width: 120, height: 24))
        let log = Array(b.lines[((b.row(containing: "─ events") ?? 0) + 1)...].prefix(6))
        #expect(log == [
            " 12:03:08 127.0.0.1:8000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×4 since 12:03:05  \(probeTimedOut)",
            " 12:03:08 127.0.0.1:9000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×3 since 12:03:06  \(probeFailed)",
            " 12:03:06 127.0.0.1:10000 joined",
            " 12:03:06 127.0.0.1:9000 fault error set",
            " 12:03:05 127.0.0.1:9000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×2 since 12:03:04  \(probeFailed)",
            "",
        ])
    }

    @Test("header flags PAUSED and PANIC, and connection trouble")
    func headerFlags() {
        var snapshot = Fixtures.snapshot()
        snapshot.paused = true
        snapshot.panicMode = true
        snapshot.zookeeper = .expired
        snapshot.redis = .disabled
        let b = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        #expect(b.lines[0] == "krpc-top  UserServiceRpc.Login  lb round-robin  rate 49.8 of 50/s  PAUSED  PANIC")
        #expect(b.lines[1] == "qps 149  err 0.3%  p50 410µs  p99 2.9ms  zk expired (4.0s)  redis disabled")
        #expect(b.style(of: "PAUSED", row: 0) == .warning)
        #expect(b.style(of: "PANIC", row: 0) == .broken)
        #expect(b.style(of: "expired", row: 1) == .warning)
        // Narrow: the flags outlive everything but the call name.
        let narrow = Renderer.render(Fixtures.view(snapshot, width: 40, height: 24))
        #expect(narrow.lines[0] == "UserServiceRpc.Login  PAUSED  PANIC")
    }

    @Test("the help lists every binding of the key map, then the columns, faults and mouse; it scrolls")
    func helpOverlay() throws {
        for ascii in [false, true] {
            var view = Fixtures.view(width: 80, height: 24)
            view.feed(.key(.character("?")))
            let b = Renderer.render(view, options: RenderOptions(ascii: ascii))
            let title = ascii ? "+- help -" : "┌─ help ─"
            let top = try #require(b.row(containing: title))
            let left = try #require(b.column(of: title, row: top))
            // The box reaches the status bar and says how to scroll.
            let footer = ascii ? "+- Esc closes Up/Down scroll 1-21/" : "└─ Esc closes ↑/↓ scroll 1-21/"
            #expect(b.paddedLines[22].contains(footer))
            let labelWidth = KeyMap.standard.bindings.map { DisplayWidth.of($0.label(ascii: ascii)) }.max() ?? 0
            for (i, binding) in KeyMap.standard.bindings.prefix(21).enumerated() {
                let row = top + 1 + i
                let label = binding.label(ascii: ascii)
                let shown = String((0..<label.count).compactMap { b[row, left + 2 + $0]?.character })
                #expect(shown == label, "\(binding.command)")
                #expect(b[row, left + 2]?.style == .key)
                #expect(b.column(of: binding.help, row: row) == left + 2 + labelWidth + 2, "\(binding.command)")
                #expect(b.style(of: binding.help, row: row) == .text)
            }
            // ↓ scrolls to the rest: the last bindings, every column of both views, the fault TTL, the mouse.
            for _ in 0..<60 { view.feed(.key(.down)) }
            let end = Renderer.render(view, options: RenderOptions(ascii: ascii)).lines.joined(separator: "\n")
            #expect(end.contains("quit"))
            for column in ["INFL", "HEALTHY", "ERRORS", "CALLS/S"] { #expect(end.contains(column), "\(end)") }
            #expect(end.contains("a fault lasts 60s (--fault-ttl)"), "\(end)")
            #expect(end.contains("delay:500") && end.contains("500 ms delay"), "\(end)")
            #expect(end.contains("wheel"), "\(end)")
            var all: [String] = []
            for offset in 0..<80 {
                var v = view
                v.feed(.key(.character("?")))
                v.feed(.key(.character("?")))
                for _ in 0..<offset { v.feed(.key(.down)) }
                all += Renderer.render(v, options: RenderOptions(ascii: ascii)).lines
            }
            for column in ["ADDRESS", "STATE", "AGE", "REDIS", "R/S", "CALLS", "ERR%", "P50 P99", "LATENCY", "INFL"] {
                #expect(all.contains { $0.contains("│ \(column) ") || $0.contains("| \(column) ") }, "\(column)")
            }
        }
    }

    @Test("status bar: the filter being typed, then a message, then the hints with the filter")
    func statusBar() {
        var view = Fixtures.view(width: 80, height: 24)
        for key: Key in [.character("/"), .character("9"), .character("0")] { view.feed(.key(key)) }
        var b = Renderer.render(view)
        #expect(b.lines[23] == "/90▏  Enter apply  Esc cancel")
        #expect(b.style(of: "90", row: 23) == .input)
        view.feed(.key(.enter))
        b = Renderer.render(view)
        #expect(b.lines[23] == "filter '90'")
        #expect(b.style(of: "filter", row: 23) == .statusMessage)
        view.feed(.tick(.seconds(10)))
        b = Renderer.render(view)
        #expect(b.lines[23] == "q/^C quit  ? help  e error  t timeout  d delay  c clear  s sort  filter 90")
        #expect(b.style(of: "90", row: 23) == .input)
        // Only the matching node is listed; the columns fit it.
        #expect(b.lines[3] == ">127.0.0.1:9000 ✖ BROKEN    4.2s  9876     0  1100 0.5% 380µs 2.4ms       ▂▄▅▆▇█")
        #expect(b.lines[5] == "─ events ───────────────────────────────────────────────────────────────────────")
        #expect(b.lines.count == 24)
    }

    @Test("no nodes, and no node matching the filter")
    func emptyTables() {
        let empty = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: []), width: 80, height: 24))
        #expect(empty.lines[3] == " no nodes registered for this method")
        var view = Fixtures.view(width: 80, height: 24)
        for key: Key in [.character("/"), .character("x"), .enter] { view.feed(.key(key)) }
        #expect(Renderer.render(view).lines[3] == " no node matches 'x' (Esc clears the filter)")
    }

    @Test("--ascii: the same screen in plain ASCII")
    func asciiMode() {
        let b = Renderer.render(Fixtures.view(width: 80, height: 24), options: RenderOptions(ascii: true))
        #expect(b.lines == [
            "krpc-top  UserServiceRpc.Login  lb round-robin  rate 49.8 of 50/s  window 10s",
            "qps 149  err 0.3%  p50 410us  p99 2.9ms  zk connected (4.0s)  redis connected",
            " ADDRESS         STATE        AGE REDIS   R/S CALLS ERR%   P50   P99 LAT <=2.8ms",
            ">127.0.0.1:8000  + HEALTHY    12m 12345  16.7  1234 0.0% 412us 1.2ms  -===-===-=",
            " 127.0.0.1:9000  x BROKEN    4.2s  9876     0  1100 0.5% 380us 2.4ms       -=*##",
            "   `- probe in 1.2s | fault error | 5 consecutive failures: internal 'injected ~",
            " 127.0.0.1:10000 ~ HALF-OPEN 0.3s 11002  15.2  1190 0.1% 450us 3.1ms",
            "   `- probe in 0.1s | cool-down elapsed",
            "- events -----------------------------------------------------------------------",
            " 12:03:06 127.0.0.1:9000 + HEALTHY -> x BROKEN  5 consecutive failures: interna~",
            " 12:03:05 127.0.0.1:9000 fault error set",
            " 12:03:04 zookeeper connected",
            "", "", "", "", "", "", "", "", "", "", "",
            "q/^C quit  ? help  e error  t timeout  d delay  c clear  s sort  / filter",
        ])
        #expect(b.cells.allSatisfy { $0.character.isASCII })
    }

    @Test("sparkline: one cell per second when wide, scaled to the largest value, blanks for idle seconds")
    func sparkline() {
        let glyphs = Glyphs(ascii: false)
        let history: [Int?] = [nil, 0, 100, 200, 400, 800]
        let cells = Sparkline.cells(history, width: 10, maximum: 800, glyphs: glyphs)
        #expect(String(cells.map(\.0)) == " ▁▁▂▄█")
        #expect(cells.map(\.1) == [.dim, .sparkLow, .sparkLow, .sparkLow, .sparkMid, .sparkHigh])
        // 60 seconds in 6 cells: each cell is the maximum of 10 seconds.
        let minute = (0..<60).map { Optional($0 < 50 ? 100 : 800) }
        #expect(String(Sparkline.cells(minute, width: 6, maximum: 800, glyphs: glyphs).map(\.0)) == "▁▁▁▁▁█")
        #expect(String(Sparkline.cells(history, width: 10, maximum: 800, glyphs: Glyphs(ascii: true)).map(\.0))
                == " ..:=#")
        #expect(Sparkline.cells([], width: 10, maximum: 0, glyphs: glyphs).isEmpty)
        #expect(Sparkline.cells(history, width: 0, maximum: 800, glyphs: glyphs).isEmpty)
    }
}
