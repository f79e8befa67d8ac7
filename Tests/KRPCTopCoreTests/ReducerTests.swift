import KRPCPolicy
import Testing
@testable import KRPCTopCore

@Suite("ViewState reducer")
struct ReducerTests {
    static func press(_ view: inout ViewState, _ keys: Key...) -> [Effect] {
        keys.flatMap { view.feed(.key($0)) }
    }

    @Test("j/k and arrows move the selection and stop at the ends")
    func selection() {
        var view = Fixtures.view(width: 80, height: 24)
        #expect(view.selectedAddress == Fixtures.a8000)
        _ = Self.press(&view, .character("j"))
        #expect(view.selectedAddress == Fixtures.a9000)
        _ = Self.press(&view, .down, .down, .down)
        #expect(view.selectedAddress == Fixtures.a10000)
        _ = Self.press(&view, .character("k"), .up, .up)
        #expect(view.selectedAddress == Fixtures.a8000)
        view.feed(.mouse(.wheelDown))
        #expect(view.selectedAddress == Fixtures.a9000)
    }

    @Test("the selection stays on the same address when a new snapshot re-sorts the table")
    func selectionFollowsAddress() {
        var view = Fixtures.view(width: 80, height: 24, configure: { _ = $0.feed(.command(.cycleSort)) })
        #expect(view.sortKey == .state)
        _ = Self.press(&view, .home)
        #expect(view.rows.map(\.address) == [Fixtures.a9000, Fixtures.a10000, Fixtures.a8000])
        #expect(view.selectedAddress == Fixtures.a9000)
        // 9000 recovers, 8000 breaks: the order changes, the selection does not.
        var snapshot = Fixtures.snapshot()
        snapshot.nodes[0].state = .broken
        snapshot.nodes[1].state = .healthy
        view.feed(.snapshot(snapshot))
        #expect(view.rows.map(\.address) == [Fixtures.a8000, Fixtures.a10000, Fixtures.a9000])
        #expect(view.selectedAddress == Fixtures.a9000)
        #expect(view.selectedIndex == 2)
        let b = Renderer.render(view)
        #expect(b.lines.filter { $0.hasPrefix(">") }
                == [">127.0.0.1:9000  ● HEALTHY   4.2s  9876     0  1100 0.5% 380µs 2.4ms       ▃▄▆██"])
    }

    @Test("when the selected node leaves, the selection lands on the node now at its place")
    func selectedNodeLeaves() {
        var view = Fixtures.view(width: 80, height: 24)
        _ = Self.press(&view, .down)
        #expect(view.selectedAddress == Fixtures.a9000)
        view.feed(.snapshot(Fixtures.snapshot(nodes: [Fixtures.healthy, Fixtures.halfOpen])))
        #expect(view.selectedAddress == Fixtures.a10000)
        view.feed(.snapshot(Fixtures.snapshot(nodes: [])))
        #expect(view.selectedAddress == nil)
        view.feed(.snapshot(Fixtures.snapshot()))
        #expect(view.selectedAddress == Fixtures.a9000)  // back at index 1
    }

    @Test("s cycles address, state, errors, latency, redis calls")
    func sortCycle() {
        var view = Fixtures.view(width: 80, height: 24)
        var orders: [[NodeAddress]] = []
        var keys: [SortKey] = []
        for _ in 0..<5 {
            _ = Self.press(&view, .character("s"))
            keys.append(view.sortKey)
            orders.append(view.rows.map(\.address))
        }
        #expect(keys == [.state, .errors, .latency, .redisCalls, .address])
        #expect(orders == [
            [Fixtures.a9000, Fixtures.a10000, Fixtures.a8000],  // broken, half-open, healthy
            [Fixtures.a9000, Fixtures.a10000, Fixtures.a8000],  // 5, 1, 0 errors
            [Fixtures.a10000, Fixtures.a9000, Fixtures.a8000],  // p99 3.1, 2.4, 1.25 ms
            [Fixtures.a8000, Fixtures.a10000, Fixtures.a9000],  // 12345, 11002, 9876
            [Fixtures.a8000, Fixtures.a9000, Fixtures.a10000],  // natural address order
        ])
        #expect(view.statusMessage?.text == "sorted by address")
    }

    @Test("/ filter: typing, Backspace, Enter applies, Esc cancels, Esc clears")
    func filterInput() {
        var view = Fixtures.view(width: 80, height: 24)
        _ = Self.press(&view, .character("/"), .character("9"), .character("x"), .backspace)
        #expect(view.filterInput == "9")
        #expect(view.filter == "" && view.rows.count == 3)  // not applied while typing
        // Keys that are bound in normal mode are text while typing.
        #expect(Self.press(&view, .character("q"), .character("e")).isEmpty)
        #expect(view.filterInput == "9qe")
        _ = Self.press(&view, .backspace, .backspace, .character("0"), .character("0"), .enter)
        #expect(view.filterInput == nil && view.filter == "900")
        #expect(view.rows.map(\.address) == [Fixtures.a9000])
        #expect(view.selectedAddress == Fixtures.a9000)
        // Editing starts from the applied filter; Esc cancels the edit.
        _ = Self.press(&view, .character("/"))
        #expect(view.filterInput == "900")
        _ = Self.press(&view, .backspace, .backspace, .backspace, .escape)
        #expect(view.filter == "900" && view.filterInput == nil)
        // Esc in normal mode clears the filter.
        _ = Self.press(&view, .escape)
        #expect(view.filter == "" && view.rows.count == 3)
        // Ctrl-C quits even while typing.
        _ = Self.press(&view, .character("/"))
        #expect(Self.press(&view, .control("c")) == [.quit])
    }

    @Test("? toggles the help; Esc closes it")
    func help() {
        var view = Fixtures.view(width: 80, height: 24)
        _ = Self.press(&view, .character("?"))
        #expect(view.showsHelp)
        _ = Self.press(&view, .character("?"))
        #expect(!view.showsHelp)
        _ = Self.press(&view, .character("?"), .escape)
        #expect(!view.showsHelp)
    }

    @Test("q and Ctrl-C quit")
    func quit() {
        var view = Fixtures.view(width: 80, height: 24)
        #expect(Self.press(&view, .character("q")) == [.quit])
        #expect(Self.press(&view, .control("c")) == [.quit])
        #expect(view.feed(.command(.quit)) == [.quit])
    }

    @Test("fault keys act on the selected node with the configured TTL")
    func faultKeys() {
        var view = Fixtures.view(width: 80, height: 24)
        _ = Self.press(&view, .down)
        let ttl = Duration.seconds(60)
        #expect(Self.press(&view, .character("e")) == [.setFault(node: Fixtures.a9000, value: "error", ttl: ttl)])
        #expect(view.statusMessage?.text == "error injected on 127.0.0.1:9000 (ttl 60s)")
        #expect(view.statusMessage?.severity == .info)
        #expect(Self.press(&view, .character("t")) == [.setFault(node: Fixtures.a9000, value: "timeout", ttl: ttl)])
        #expect(Self.press(&view, .character("d")) == [.setFault(node: Fixtures.a9000, value: "delay:500", ttl: ttl)])
        #expect(view.statusMessage?.text == "500 ms delay injected on 127.0.0.1:9000 (ttl 60s)")
        #expect(Self.press(&view, .character("c")) == [.clearFault(node: Fixtures.a9000)])
        #expect(view.statusMessage?.text == "fault cleared on 127.0.0.1:9000")

        var custom = ViewState(configuration: ViewConfiguration(faultTTL: .seconds(150), delayMilliseconds: 250))
        custom.feed(.snapshot(Fixtures.snapshot()))
        #expect(custom.feed(.key(.character("d")))
                == [.setFault(node: Fixtures.a8000, value: "delay:250", ttl: .seconds(150))])
        #expect(custom.statusMessage?.text == "250 ms delay injected on 127.0.0.1:8000 (ttl 2m30s)")
    }

    @Test("fault keys explain why they do nothing")
    func faultKeysRefused() {
        var snapshot = Fixtures.snapshot()
        snapshot.nodes[0].acceptsFaults = false
        var view = Fixtures.view(snapshot, width: 80, height: 24)
        #expect(Self.press(&view, .character("e")).isEmpty)
        #expect(view.statusMessage?.text == "fault keys are ignored: servers run without --allow-fault-injection")
        #expect(view.statusMessage?.severity == .warning)
        #expect(Renderer.render(view).lines[23]
                == "fault keys are ignored: servers run without --allow-fault-injection")

        snapshot = Fixtures.snapshot()
        snapshot.redis = .disconnected
        view = Fixtures.view(snapshot, width: 80, height: 24)
        #expect(Self.press(&view, .character("c")).isEmpty)
        #expect(view.statusMessage?.text == "fault keys need Redis: redis is disconnected")

        snapshot.redis = .disabled
        view = Fixtures.view(snapshot, width: 80, height: 24)
        #expect(Self.press(&view, .character("t")).isEmpty)
        #expect(view.statusMessage?.text == "fault keys need Redis: krpc-top runs without --redis")

        view = Fixtures.view(Fixtures.snapshot(nodes: []), width: 80, height: 24)
        #expect(Self.press(&view, .character("e")).isEmpty)
        #expect(view.statusMessage?.text == "no node selected")
    }

    @Test("+/- step through the rate ladder, also before the snapshot catches up")
    func rate() {
        var view = Fixtures.view(width: 80, height: 24)  // target 50
        #expect(Self.press(&view, .character("+"), .character("+")) == [.setRate(100), .setRate(200)])
        #expect(view.statusMessage?.text == "rate 200/s")
        var snapshot = Fixtures.snapshot()
        snapshot.targetRate = 200
        view.feed(.snapshot(snapshot))
        #expect(Self.press(&view, .character("-")) == [.setRate(100)])
        // An error report from the wiring layer: step from the snapshot's value again.
        view.feed(.message(.error, "could not set the rate"))
        #expect(view.statusMessage == StatusMessage(.error, "could not set the rate", expiresAt: .seconds(5)))
        #expect(Self.press(&view, .character("-")) == [.setRate(100)])

        snapshot.targetRate = 10_000
        view.feed(.snapshot(snapshot))
        #expect(Self.press(&view, .character("+")).isEmpty)
        #expect(view.statusMessage?.text == "rate 10k/s is the highest step")
        snapshot.targetRate = 37
        view.feed(.snapshot(snapshot))
        #expect(Self.press(&view, .character("-")) == [.setRate(20)])
    }

    @Test("space pauses and resumes, b cycles balancers, T cycles themes")
    func toggles() {
        var view = Fixtures.view(width: 80, height: 24)
        #expect(Self.press(&view, .character(" "), .character(" ")) == [.setPaused(true), .setPaused(false)])
        #expect(view.statusMessage?.text == "load resumed")
        #expect(Self.press(&view, .character("b"), .character("b"))
                == [.setBalancer("weighted-round-robin"), .setBalancer("random")])
        #expect(Self.press(&view, .character("T"), .character("T"), .character("T"), .character("T"))
                == [.setTheme("light"), .setTheme("high-contrast"), .setTheme("monochrome"), .setTheme("default")])
        #expect(view.themeName == "default")
        // Nothing to act on before the first snapshot.
        var empty = ViewState()
        #expect(empty.feed(.key(.character(" "))).isEmpty)
        #expect(empty.statusMessage?.text == "no data from the client yet")
    }

    @Test("status messages expire with ticks")
    func messageExpiry() {
        var view = Fixtures.view(width: 80, height: 24)
        view.feed(.tick(.seconds(100)))
        _ = Self.press(&view, .character("s"))
        #expect(view.statusMessage?.expiresAt == .seconds(105))
        view.feed(.tick(.milliseconds(104_900)))
        #expect(view.statusMessage != nil)
        view.feed(.tick(.seconds(105)))
        #expect(view.statusMessage == nil)
    }

    @Test("a click selects the node on that row; detail lines belong to their node")
    func click() {
        var view = Fixtures.view(width: 80, height: 24)
        view.feed(.mouse(.click(row: 5, column: 10)))  // the broken node's detail line
        #expect(view.selectedAddress == Fixtures.a9000)
        view.feed(.mouse(.click(row: 6, column: 0)))
        #expect(view.selectedAddress == Fixtures.a10000)
        view.feed(.mouse(.click(row: 1, column: 0)))  // header: nothing
        view.feed(.mouse(.click(row: 12, column: 0)))  // log: nothing
        #expect(view.selectedAddress == Fixtures.a10000)
    }

    @Test("unbound keys do nothing")
    func unbound() {
        var view = Fixtures.view(width: 80, height: 24)
        let before = view
        #expect(Self.press(&view, .character("z"), .right, .control("x")).isEmpty)
        #expect(view == before)
    }
}
