import KRPCPolicy

/// Whether a scenario showed what it is meant to show, and one line saying so.
public struct ScenarioVerdict: Sendable, Hashable {
    public var passed: Bool
    public var summary: String

    /// Judges `observation` for `scenario`: pure, so every rule is unit-tested.
    public static func judge(_ scenario: DemoScenario, _ o: ScenarioObservation) -> ScenarioVerdict {
        var problems: [String] = []
        let port = { (node: NodeAddress) in String(node.port) }
        switch scenario {
        case .balance:
            let counts = o.nodes.map { o.redisCalls[$0] ?? 0 }
            let expected = o.calls / max(1, o.nodes.count)
            if o.callerFailures > 0 { problems.append("\(o.callerFailures) calls failed") }
            if o.calls % max(1, o.nodes.count) == 0, counts.contains(where: { $0 != expected }) {
                problems.append("not \(expected) per node: \(counts.map(String.init).joined(separator: "/"))")
            }
            return problems.isEmpty
                ? .pass("\(o.calls) calls, \(expected) per node by the Redis counts")
                : .fail(problems)

        case .error:
            let bad = o.nodes[0]
            let others = o.nodes.dropFirst()
            let firstOpen = o.transitions.first { $0.node == bad && $0.to == .open }
            if o.statesUnderFault[bad] != .open { problems.append("\(port(bad)) not BROKEN") }
            if let firstOpen, !firstOpen.reason.hasPrefix("5 consecutive failures") {
                problems.append("\(port(bad)) opened for another reason: \(firstOpen.reason)")
            }
            if firstOpen == nil { problems.append("\(port(bad)) never opened") }
            if o.callerFailures > 0 { problems.append("\(o.callerFailures) calls failed for the caller") }
            let shared = others.map { o.redisCalls[$0] ?? 0 }
            if shared.contains(0) { problems.append("the other nodes did not share the calls: \(shared)") }
            return problems.isEmpty
                ? .pass(
                    "\(port(bad)) BROKEN after its 5th failure; \(shared.reduce(0, +)) calls shared by "
                        + others.map(port).joined(separator: " and ") + "; 0 failed for the caller"
                )
                : .fail(problems)

        case .errorAndTimeout:
            let (erroring, hanging, healthy) = (o.nodes[0], o.nodes[1], o.nodes[2])
            for node in [erroring, hanging] where o.statesUnderFault[node] != .open {
                problems.append("\(port(node)) not BROKEN")
            }
            let onHealthy = o.servedAfterIsolation[healthy] ?? 0
            if o.callsAfterIsolation == 0 || onHealthy != o.callsAfterIsolation {
                problems.append("after isolation \(onHealthy) of \(o.callsAfterIsolation) calls on \(port(healthy))")
            }
            // The seed waited its 5 s timeout for every call to the hanging node.
            let seedCost = Duration.seconds(5) * max(1, (o.redisCalls[hanging] ?? 0))
            if o.elapsed > .seconds(20) { problems.append("took \(Self.seconds(o.elapsed)), not seconds") }
            return problems.isEmpty
                ? .pass(
                    "\(port(erroring)) and \(port(hanging)) BROKEN, everything on \(port(healthy)); "
                        + "took \(Self.seconds(o.elapsed)) (the seed: about \(Self.seconds(seedCost)))"
                )
                : .fail(problems)

        case .recover:
            let node = o.nodes[0]
            let after = o.transitions.drop { !($0.node == node && $0.to == .open) }.filter { $0.node == node }
            let sequence = after.map(\.to)
            if o.statesUnderFault[node] != .open { problems.append("\(port(node)) never BROKEN") }
            if !(sequence.contains(.halfOpen) && sequence.last == .closed) {
                problems.append("\(port(node)) did not go HALF-OPEN then HEALTHY: \(sequence.map(\.description))")
            }
            // One probe interval, plus the tick that notices it and one trial call.
            if let t = o.recoveryTime, t > o.probeInterval + .milliseconds(500) {
                problems.append("recovery took \(Self.seconds(t)), more than one probe interval (\(Self.seconds(o.probeInterval)))")
            }
            if o.recoveryTime == nil { problems.append("\(port(node)) did not recover") }
            if o.callerFailures > 0 { problems.append("\(o.callerFailures) calls failed for the caller") }
            return problems.isEmpty
                ? .pass("\(port(node)) HEALTHY again \(Self.seconds(o.recoveryTime ?? .zero)) after it healed (probe interval \(Self.seconds(o.probeInterval)))")
                : .fail(problems)
        }
    }

    static func pass(_ text: String) -> ScenarioVerdict { ScenarioVerdict(passed: true, summary: text) }
    static func fail(_ problems: [String]) -> ScenarioVerdict {
        ScenarioVerdict(passed: false, summary: problems.joined(separator: "; "))
    }

    /// `1.23s`
    static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return "\(ms / 1000).\(String(format2: Int(ms % 1000) / 10))s"
    }
}

extension String {
    /// Two digits, zero-padded.
    init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
