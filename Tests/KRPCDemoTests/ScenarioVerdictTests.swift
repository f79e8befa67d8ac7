import KRPCDemo
import KRPCPolicy
import Testing

private let n8000 = NodeAddress(host: "127.0.0.1", port: 8000)
private let n9000 = NodeAddress(host: "127.0.0.1", port: 9000)
private let n10000 = NodeAddress(host: "127.0.0.1", port: 10000)
private let nodes = [n8000, n9000, n10000]

private func open(_ node: NodeAddress, at ms: Int, _ reason: String) -> ScenarioObservation.Transition {
    .init(offset: .milliseconds(ms), node: node, from: .closed, to: .open, reason: reason)
}

@Suite("Scenario verdicts")
struct ScenarioVerdictTests {
    @Test("balance passes with exactly a third per node and fails otherwise")
    func balance() {
        var o = ScenarioObservation(nodes: nodes, redisCalls: [n8000: 100, n9000: 100, n10000: 100], calls: 300)
        #expect(ScenarioVerdict.judge(.balance, o).passed)
        #expect(ScenarioVerdict.judge(.balance, o).summary == "300 calls, 100 per node by the Redis counts")
        o.redisCalls[n8000] = 99
        o.redisCalls[n9000] = 101
        let verdict = ScenarioVerdict.judge(.balance, o)
        #expect(!verdict.passed)
        #expect(verdict.summary == "not 100 per node: 99/101/100")
    }

    @Test("error needs the first node open after 5 consecutive failures, the others sharing, no caller failure")
    func error() {
        var o = ScenarioObservation(
            nodes: nodes,
            redisCalls: [n8000: 6, n9000: 97, n10000: 97],
            calls: 200,
            transitions: [open(n8000, at: 30, "5 consecutive failures: internal 'injected error'")],
            statesUnderFault: [n8000: .open, n9000: .closed, n10000: .closed]
        )
        let pass = ScenarioVerdict.judge(.error, o)
        #expect(pass.passed, "\(pass.summary)")
        #expect(pass.summary == "8000 BROKEN after its 5th failure; 194 calls shared by 9000 and 10000; 0 failed for the caller")
        o.callerFailures = 1
        #expect(!ScenarioVerdict.judge(.error, o).passed)
        o.callerFailures = 0
        o.transitions = [open(n8000, at: 30, "failure rate 60% over 10s (20 calls): internal")]
        #expect(ScenarioVerdict.judge(.error, o).summary.contains("opened for another reason"))
        o.transitions = []
        #expect(ScenarioVerdict.judge(.error, o).summary.contains("never opened"))
    }

    @Test("error-and-timeout needs both faulty nodes open and every later call on the third")
    func errorAndTimeout() {
        var o = ScenarioObservation(
            nodes: nodes,
            redisCalls: [n8000: 5, n9000: 5, n10000: 120],
            calls: 130,
            callsAfterIsolation: 50,
            servedAfterIsolation: [n10000: 50],
            statesUnderFault: [n8000: .open, n9000: .open, n10000: .closed],
            elapsed: .seconds(6)
        )
        let pass = ScenarioVerdict.judge(.errorAndTimeout, o)
        #expect(pass.passed, "\(pass.summary)")
        #expect(pass.summary == "8000 and 9000 BROKEN, everything on 10000; took 6.00s (the seed: about 25.00s)")
        o.servedAfterIsolation = [n10000: 49, n9000: 1]
        #expect(!ScenarioVerdict.judge(.errorAndTimeout, o).passed)
        o.servedAfterIsolation = [n10000: 50]
        o.statesUnderFault[n9000] = .closed
        #expect(ScenarioVerdict.judge(.errorAndTimeout, o).summary == "9000 not BROKEN")
    }

    @Test("recover needs half-open then closed within one probe interval")
    func recover() {
        var o = ScenarioObservation(
            nodes: nodes,
            calls: 40,
            transitions: [
                open(n8000, at: 10, "5 consecutive failures: internal 'injected error'"),
                .init(offset: .milliseconds(900), node: n8000, from: .open, to: .halfOpen, reason: ""),
                .init(offset: .milliseconds(920), node: n8000, from: .halfOpen, to: .closed, reason: "recovered"),
            ],
            statesUnderFault: [n8000: .open],
            recoveryTime: .milliseconds(800),
            probeInterval: .seconds(1)
        )
        #expect(ScenarioVerdict.judge(.recover, o).passed)
        o.recoveryTime = .seconds(3)
        #expect(ScenarioVerdict.judge(.recover, o).summary.contains("more than one probe interval"))
        o.recoveryTime = nil
        #expect(ScenarioVerdict.judge(.recover, o).summary.contains("did not recover"))
    }

    @Test("the report lists every node's Redis count and the transitions")
    func report() {
        let o = ScenarioObservation(
            nodes: nodes,
            redisCalls: [n8000: 6, n9000: 97, n10000: 97],
            redisErrors: [n8000: 6],
            calls: 200,
            transitions: [open(n8000, at: 31, "5 consecutive failures: internal 'injected error'")],
            statesUnderFault: [n8000: .open, n9000: .closed, n10000: .closed],
            elapsed: .milliseconds(1234)
        )
        let text = ScenarioReport.render(.error, o, ScenarioVerdict.judge(.error, o))
        #expect(text.split(separator: "\n").map(String.init) == [
            "scenario error: the first node answers errors",
            "calls: 200 made, 0 failed for the caller, in 1.23s",
            "calls per node during the scenario (Redis krpc:calls / krpc:errors):",
            "  8000   6     calls, 6 errors  (BROKEN)",
            "  9000   97    calls  (HEALTHY)",
            "  10000  97    calls  (HEALTHY)",
            "breaker transitions:",
            "  +0.03s  127.0.0.1:8000  HEALTHY → BROKEN  5 consecutive failures: internal 'injected error'",
            "verdict: PASS — 8000 BROKEN after its 5th failure; 194 calls shared by 9000 and 10000; 0 failed for the caller",
        ])
    }
}
