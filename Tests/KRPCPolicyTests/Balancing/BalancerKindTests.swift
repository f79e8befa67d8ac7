import KRPCPolicy
import Testing

@Suite("Balancer kinds")
struct BalancerKindTests {
    static let names: [(BalancerKind, String)] = [
        (.roundRobin, "round-robin"),
        (.weightedRoundRobin, "weighted-round-robin"),
        (.random, "random"),
        (.leastOutstanding, "p2c"),
        (.consistentHash, "consistent-hash"),
    ]

    @Test("each kind has a stable name that parses back", arguments: names)
    func stableNames(kind: BalancerKind, name: String) {
        #expect(kind.name == name)
        #expect(kind.description == name)
        #expect(BalancerKind(name: name) == kind)
        #expect(BalancerKind(name: name.uppercased()) == kind)
        #expect(LoadBalancer(kind: kind).kind == kind)
    }

    @Test("aliases parse, unknown names do not")
    func aliases() {
        #expect(BalancerKind(name: "rr") == .roundRobin)
        #expect(BalancerKind(name: "wrr") == .weightedRoundRobin)
        #expect(BalancerKind(name: "least-outstanding") == .leastOutstanding)
        #expect(BalancerKind(name: "hash") == .consistentHash)
        #expect(BalancerKind(name: "fastest") == nil)
        #expect(BalancerKind(name: "") == nil)
    }

    @Test("next cycles through every kind and wraps around")
    func cycling() {
        var kind = BalancerKind.roundRobin
        var seen: [BalancerKind] = []
        for _ in 0..<5 {
            seen.append(kind)
            kind = kind.next
        }
        #expect(seen == [.roundRobin, .weightedRoundRobin, .random, .leastOutstanding, .consistentHash])
        #expect(kind == .roundRobin)
    }
}
