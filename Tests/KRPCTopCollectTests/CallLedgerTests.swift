import KRPC
import KRPCPolicy
import KRPCTopCollect
import KRPCTopCore
import Testing

/// The call path's side of the ledger: attempt reports and logical calls land in the right counts.
@Suite struct CallLedgerTests {
    static let node = NodeAddress(host: "127.0.0.1", port: 8000)

    @Test func attemptReportsCountAsCallsErrorsAndTimeouts() {
        let origin = ContinuousClock.now
        let ledger = CallLedger(window: .seconds(10), origin: origin)
        let outcomes: [KRPCAttemptReport.Outcome] = [.success, .success, .failure, .timeout]
        for (i, outcome) in outcomes.enumerated() {
            ledger.observe(KRPCAttemptReport(
                node: Self.node, outcome: outcome, latency: .milliseconds(2 * (i + 1)),
                endedAt: origin + .milliseconds(100 * i)))
        }
        let (nodes, _) = ledger.withLedger {
            $0.update([NodeSnapshot(address: Self.node)], at: .seconds(1))
        }
        let node = nodes[0]
        #expect(node.totals == NodeTotals(calls: 3, errors: 1, timeouts: 1))
        #expect(node.window.calls == 3 && node.window.errors == 1 && node.window.timeouts == 1)
        #expect(node.window.errorPercent == 50)
        #expect(node.window.maxMicroseconds.map { abs($0 - 8_000) <= 80 } == true)
    }

    @Test func logicalCallsFeedTheCallersWindow() {
        let ledger = CallLedger(window: .seconds(10))
        let start = ContinuousClock.now
        ledger.recordCall(started: start, error: nil)
        ledger.recordCall(started: start, error: KRPCError(code: .deadlineExceeded, message: "late"))
        ledger.recordCall(started: start, error: KRPCError(code: .internal, message: "boom"))
        let figures = ledger.withLedger { $0.callerFigures(at: ContinuousClock.now - ledger.origin) }
        #expect(figures.calls == 2)
        #expect(figures.errors == 1)
        #expect(figures.timeouts == 1)
        #expect(figures.p50Microseconds != nil)
    }
}
