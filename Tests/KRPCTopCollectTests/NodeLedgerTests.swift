import KRPCPolicy
import KRPCTopCollect
import KRPCTopCore
import Testing

/// Episodes, departed nodes and totals on virtual time.
@Suite struct NodeLedgerTests {
    static let a = NodeAddress(host: "127.0.0.1", port: 8001)
    static let b = NodeAddress(host: "127.0.0.1", port: 8002)

    private func node(_ address: NodeAddress, _ state: NodeState, inStateFor: Duration) -> NodeSnapshot {
        NodeSnapshot(address: address, state: state, timeInState: inStateFor)
    }

    @Test func brokenHalfOpenCyclesOfOneFailingStretchAreOneEpisode() {
        var ledger = NodeLedger(window: .seconds(10))
        var (nodes, _) = ledger.update([self.node(Self.a, .healthy, inStateFor: .seconds(5))], at: .seconds(5))
        #expect(nodes[0].age == .seconds(5))
        // Broken at 10 s; half-open at 12 s; broken again at 12.1 s; half-open at 14 s.
        (nodes, _) = ledger.update([self.node(Self.a, .broken, inStateFor: .seconds(1))], at: .seconds(11))
        #expect(nodes[0].age == .seconds(1))
        (nodes, _) = ledger.update([self.node(Self.a, .halfOpen, inStateFor: .zero)], at: .seconds(12))
        #expect(nodes[0].age == .seconds(2))
        #expect(nodes[0].timeInState == .zero)
        (nodes, _) = ledger.update([self.node(Self.a, .broken, inStateFor: .milliseconds(900))], at: .seconds(13))
        #expect(nodes[0].age == .seconds(3))
        (nodes, _) = ledger.update([self.node(Self.a, .broken, inStateFor: .seconds(189))], at: .seconds(202))
        #expect(nodes[0].age == .seconds(192))
        // Healthy again: the episode is over, AGE is the time healthy.
        (nodes, _) = ledger.update([self.node(Self.a, .healthy, inStateFor: .seconds(1))], at: .seconds(203))
        #expect(nodes[0].age == .seconds(1))
        (nodes, _) = ledger.update([self.node(Self.a, .broken, inStateFor: .zero)], at: .seconds(204))
        #expect(nodes[0].age == .zero)
    }

    @Test func aDepartedNodeStaysFrozenForAMinuteAndKeepsItsTotalsWhenItRejoins() {
        var ledger = NodeLedger(window: .seconds(10))
        for i in 0..<10 {
            ledger.recordAttempt(node: Self.a, outcome: i < 3 ? .error : .success, latencyMicroseconds: 500,
                                 at: .milliseconds(100 * i))
        }
        ledger.recordAttempt(node: Self.a, outcome: .timeout, latencyMicroseconds: 1_000_000, at: .seconds(1))
        var (nodes, departed) = ledger.update(
            [
                self.node(Self.a, .healthy, inStateFor: .seconds(2)),
                self.node(Self.b, .healthy, inStateFor: .seconds(2)),
            ],
            at: .seconds(2))
        #expect(departed.isEmpty)
        let before = nodes[0]
        #expect(before.totals == NodeTotals(calls: 10, errors: 3, timeouts: 1))
        #expect(before.window.attempts == 11)

        // a leaves at 3 s.
        (nodes, departed) = ledger.update([self.node(Self.b, .healthy, inStateFor: .seconds(3))], at: .seconds(3))
        #expect(nodes.map(\.address) == [Self.b])
        #expect(departed.map(\.address) == [Self.a])
        #expect(departed[0].departedFor == .zero)
        (nodes, departed) = ledger.update([self.node(Self.b, .healthy, inStateFor: .seconds(30))], at: .seconds(30))
        #expect(departed[0].departedFor == .seconds(27))
        // Frozen: the figures it had when it left, though the window has slid past them since.
        #expect(departed[0].window == before.window)
        #expect(departed[0].totals == before.totals)
        // Shown for a minute, then dropped.
        (_, departed) = ledger.update([self.node(Self.b, .healthy, inStateFor: .seconds(62))], at: .seconds(63))
        #expect(departed.isEmpty)

        // Rejoins at the same address: the totals are its own, continued.
        ledger.recordAttempt(node: Self.a, outcome: .success, latencyMicroseconds: 400, at: .seconds(70))
        (nodes, departed) = ledger.update(
            [
                self.node(Self.a, .healthy, inStateFor: .seconds(1)),
                self.node(Self.b, .healthy, inStateFor: .seconds(70)),
            ],
            at: .seconds(71))
        #expect(departed.isEmpty)
        #expect(nodes[0].totals == NodeTotals(calls: 11, errors: 3, timeouts: 1))
        #expect(nodes[0].window.attempts == 1)
        #expect(nodes[0].window.errorPercent == 0)
    }

    @Test func aNodeThatRejoinsWithinTheMinuteIsListedOnceAgain() {
        var ledger = NodeLedger(window: .seconds(10))
        _ = ledger.update([self.node(Self.a, .healthy, inStateFor: .zero)], at: .seconds(1))
        var (nodes, departed) = ledger.update([], at: .seconds(2))
        #expect(nodes.isEmpty && departed.count == 1)
        (nodes, departed) = ledger.update([self.node(Self.a, .healthy, inStateFor: .zero)], at: .seconds(5))
        #expect(nodes.count == 1 && departed.isEmpty)
        #expect(nodes[0].departedFor == nil)
    }

    @Test func windowFiguresAreThoseOfTheLastWindowOnly() {
        var ledger = NodeLedger(window: .seconds(2))
        for i in 0..<20 {
            ledger.recordAttempt(node: Self.a, outcome: .error, latencyMicroseconds: 100, at: .milliseconds(i * 50))
        }
        var (nodes, _) = ledger.update([self.node(Self.a, .broken, inStateFor: .seconds(1))], at: .seconds(1))
        #expect(nodes[0].window.errorPercent == 100)
        #expect(nodes[0].errorPercent == 100)
        for i in 0..<20 {
            ledger.recordAttempt(node: Self.a, outcome: .success, latencyMicroseconds: 100,
                                 at: .seconds(1) + .milliseconds(i * 50))
        }
        (nodes, _) = ledger.update([self.node(Self.a, .healthy, inStateFor: .seconds(1))], at: .seconds(3))
        #expect(nodes[0].window.errorPercent == 0)  // window (2 s) + 1 s after the errors stopped
        #expect(nodes[0].errorPercent == 50)  // totals since start still count them
        (nodes, _) = ledger.update([self.node(Self.a, .healthy, inStateFor: .seconds(3))], at: .seconds(5))
        #expect(nodes[0].window.errorPercent == nil)  // no calls in the window: '-'
    }
}
