import KRPCPolicy
import Testing
@testable import KRPCTopCore

/// The pure folding of the event log: any repeating pattern of one subject's events is one line.
@Suite("Event log folding")
struct EventFoldingTests {
    static let t = Fixtures.t0
    static let nodes = [Fixtures.a8000, Fixtures.a9000, Fixtures.a10000]

    /// Newest first, as the snapshot holds them.
    static func newestFirst(_ events: [DashboardEvent]) -> [DashboardEvent] {
        events.sorted { $0.time > $1.time }
    }

    /// All three demo nodes failing for `cycles` cool-downs: faults set, each node opens, then each goes round
    /// BROKEN → HALF-OPEN → BROKEN with growing cool-downs, while the channel flips panic mode on and off.
    static func allFailing(cycles: Int) -> [DashboardEvent] {
        var events: [DashboardEvent] = []
        for (i, node) in Self.nodes.enumerated() {
            events.append(DashboardEvent(time: t + Double(i) * 0.01, node: node, kind: .faultSet("error"),
                                         reason: "ttl 60s"))
            events.append(DashboardEvent(time: t + 1 + Double(i) * 0.01, node: node,
                                         kind: .transition(from: .healthy, to: .broken),
                                         reason: "5 consecutive failures: internal 'injected error'"))
        }
        events.append(DashboardEvent(time: t + 1.05, kind: .panic(true)))
        for k in 0..<cycles {
            let at = t + 2 + Double(k)
            events.append(DashboardEvent(time: at, kind: .panic(false)))
            for (i, node) in Self.nodes.enumerated() {
                events.append(DashboardEvent(time: at + 0.1 + Double(i) * 0.01, node: node,
                                             kind: .transition(from: .broken, to: .halfOpen),
                                             reason: "cool-down \(200 << min(k, 7))ms over"))
                events.append(DashboardEvent(time: at + 0.2 + Double(i) * 0.01, node: node,
                                             kind: .transition(from: .halfOpen, to: .broken),
                                             reason: "health probe failed: internal 'injected error'"))
            }
            events.append(DashboardEvent(time: at + 0.5, kind: .panic(true)))
        }
        return Self.newestFirst(events)
    }

    @Test("three failing nodes: the fault lines stay, one line per flapping pattern, panic on one line")
    func allThreeFailing() {
        let lines = EventFolding.lines(Self.allFailing(cycles: 20))
        // 3 faults set, 3 opens, 3 folded breaker cycles, 1 folded panic line.
        #expect(lines.count == 10)
        #expect(lines.filter { if case .faultSet = $0.event.kind { true } else { false } }.count == 3)
        let panic = lines.filter { if case .panic = $0.event.kind { true } else { false } }
        #expect(panic.count == 1)
        #expect(panic.first?.count == 20)
        #expect(panic.first?.eventCount == 41)  // 20 × (on, off) and the first "on"
        #expect(panic.first?.since == Self.t + 1.05)
        for node in Self.nodes {
            let cycles = lines.filter { $0.node == node && $0.isFolded }
            #expect(cycles.count == 1)
            #expect(cycles.first?.count == 20)  // the growing cool-down still repeats
        }
        // Every event is accounted for exactly once.
        #expect(lines.map(\.eventCount).reduce(0, +) == Self.allFailing(cycles: 20).count)
    }

    @Test("connection churn, a repeated event and a longer pattern fold too")
    func otherPatterns() {
        let node = Fixtures.a9000
        var events: [DashboardEvent] = []
        for k in 0..<5 {
            events.append(DashboardEvent(time: Self.t + Double(k), node: node, kind: .joined))
            events.append(DashboardEvent(time: Self.t + Double(k) + 0.5, node: node, kind: .left))
        }
        for k in 0..<3 {
            events.append(DashboardEvent(time: Self.t + 10 + Double(k), kind: .redis(.disconnected), reason: "refused"))
        }
        for k in 0..<2 {
            let at = Self.t + 20 + Double(k) * 3
            events.append(DashboardEvent(time: at, kind: .zookeeper(.disconnected)))
            events.append(DashboardEvent(time: at + 1, kind: .zookeeper(.connecting)))
            events.append(DashboardEvent(time: at + 2, kind: .zookeeper(.connected)))
        }
        let lines = EventFolding.lines(Self.newestFirst(events))
        #expect(lines.count == 3)
        // zookeeper disconnected → connecting → connected, twice
        #expect(lines[0].pattern.count == 3 && lines[0].count == 2)
        #expect(lines[1].pattern.count == 1 && lines[1].count == 3)  // the same redis event three times
        #expect(lines[2].pattern.map(\.kind) == [.left, .joined] && lines[2].count == 5)
        #expect(lines[2].since == Self.t)
    }

    @Test("another event of the same subject ends a run; a single cycle is not folded")
    func runsEnd() {
        let node = Fixtures.a9000
        let open = DashboardEvent(time: Self.t + 5, node: node, kind: .transition(from: .broken, to: .halfOpen))
        let close = DashboardEvent(time: Self.t + 6, node: node, kind: .transition(from: .halfOpen, to: .broken))
        let lines = EventFolding.lines([close, open, DashboardEvent(time: Self.t, node: node, kind: .faultCleared)])
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { !$0.isFolded })
    }

    @Test("the folded lines render in every size; at 20x5 the log is hidden but nothing breaks")
    func rendered() {
        var snapshot = Fixtures.snapshot(nodes: [Fixtures.healthy], events: Self.allFailing(cycles: 20))
        snapshot.utcOffsetSeconds = 0
        let wide = Renderer.render(Fixtures.view(snapshot, width: 80, height: 24))
        let top = (wide.row(containing: "─ events") ?? 0) + 1
        let log = Array(wide.lines[top...].prefix(10))
        #expect(log.filter { $0.lowercased().contains("panic") }.count == 1, "\(wide.lines.joined(separator: "\n"))")
        #expect(log.contains { $0.contains("PANIC mode on ⇄ off ×20 since 12:03:05") })
        #expect(log.filter { $0.contains("◐ HALF-OPEN ⇄ ✖ BROKEN ×20") }.count == 3)
        #expect(log.filter { $0.contains("fault error set") }.count == 3)
        let medium = Renderer.render(Fixtures.view(snapshot, width: 40, height: 12))
        let mediumLog = medium.lines.filter { $0.hasPrefix(" 12:") }
        #expect(mediumLog.filter { $0.lowercased().contains("panic") }.count <= 1)
        #expect(!mediumLog.isEmpty)
        let tiny = Renderer.render(Fixtures.view(snapshot, width: 20, height: 5))
        #expect(tiny.lines.count == 5 && tiny.lines[4].hasPrefix("q"))
    }

    @Test("one deadline error, one wording")
    func wording() {
        let client = "5 consecutive failures: deadline-exceeded "
            + "'UserServiceRpc.Login on 127.0.0.1:9000 exceeded its deadline of 1000 ms'"
        let server = "5 consecutive failures: deadline-exceeded "
            + "'UserServiceRpc.Login exceeded its deadline of 1000 ms on the server'"
        #expect(ReasonWording.canonical(client) == ReasonWording.canonical(server))
        #expect(ReasonWording.canonical(client)
            == "5 consecutive failures: deadline-exceeded 'UserServiceRpc.Login exceeded its deadline of 1000 ms'")
        #expect(ReasonWording.canonical("cool-down over") == "cool-down over")
    }
}
