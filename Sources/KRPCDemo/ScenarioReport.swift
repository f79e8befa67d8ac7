public import KRPCPolicy

/// The text `demo-cluster/scenario` prints: what was done, per-node Redis counts, transitions, verdict.
public enum ScenarioReport {
    public static func render(_ scenario: DemoScenario, _ o: ScenarioObservation, _ verdict: ScenarioVerdict) -> String {
        var lines: [String] = []
        lines.append("scenario \(scenario.rawValue): \(scenario.summary)")
        lines.append("calls: \(o.calls) made, \(o.callerFailures) failed for the caller, in \(ScenarioVerdict.seconds(o.elapsed))")
        lines.append("calls per node during the scenario (Redis krpc:calls / krpc:errors):")
        for node in o.nodes {
            let calls = o.redisCalls[node] ?? 0
            let errors = o.redisErrors[node] ?? 0
            let state = (o.statesUnderFault[node] ?? o.finalStates[node]).map(Self.word) ?? "?"
            lines.append(
                "  \(Self.pad(String(node.port), 6)) \(Self.pad(String(calls), 5)) calls"
                    + (errors > 0 ? ", \(errors) errors" : "") + "  (\(state))"
            )
        }
        lines.append("breaker transitions:")
        if o.transitions.isEmpty { lines.append("  (none)") }
        for t in o.transitions {
            lines.append(
                "  +\(ScenarioVerdict.seconds(t.offset))  \(t.node)  \(Self.word(t.from)) → \(Self.word(t.to))"
                    + (t.reason.isEmpty ? "" : "  \(t.reason)")
            )
        }
        lines.append("verdict: \(verdict.passed ? "PASS" : "FAIL") — \(verdict.summary)")
        return lines.joined(separator: "\n")
    }

    /// The dashboard's words for breaker states.
    public static func word(_ state: BreakerState) -> String {
        switch state {
        case .closed: "HEALTHY"
        case .halfOpen: "HALF-OPEN"
        case .open: "BROKEN"
        }
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
