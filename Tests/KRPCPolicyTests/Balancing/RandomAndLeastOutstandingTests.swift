import KRPCPolicy
import Testing

@Suite("Random and least-outstanding (p2c) balancers")
struct RandomAndLeastOutstandingTests {
    @Test("random spreads evenly over equal nodes", arguments: [UInt64(1), 2, 3])
    func randomUniform(seed: UInt64) {
        var balancer = LoadBalancer(kind: .random)
        var rng = SplitMix64(seed: seed)
        let counts = tally((0..<30_000).map { _ in balancer.pick(from: candidates(nodeA, nodeB, nodeC), using: &rng) })
        #expect(counts.count == 3)
        #expect(counts.values.allSatisfy { (9_500...10_500).contains($0) })
    }

    @Test("random follows weight × slow-start factor")
    func randomWeighted() {
        let balancer = RandomBalancer()
        var rng = SplitMix64(seed: 11)
        let nodes = [
            BalancerCandidate(address: nodeA, weight: 6),
            BalancerCandidate(address: nodeB, weight: 2),
            BalancerCandidate(address: nodeC, weight: 4, slowStartFactor: 0.5),
            BalancerCandidate(address: nodeD, weight: 3, slowStartFactor: 0),
        ]
        let counts = tally((0..<40_000).map { _ in balancer.pick(from: nodes, using: &rng) })
        // Effective weights 6 : 2 : 2 : 0 → 60 %, 20 %, 20 %, never.
        #expect((23_400...24_600).contains(counts[nodeA, default: 0]))
        #expect((7_500...8_500).contains(counts[nodeB, default: 0]))
        #expect((7_500...8_500).contains(counts[nodeC, default: 0]))
        #expect(counts[nodeD] == nil)
    }

    @Test("p2c never picks the single most loaded node")
    func p2cAvoidsMostLoaded() {
        var balancer = LoadBalancer(kind: .leastOutstanding)
        var rng = SplitMix64(seed: 4)
        let nodes = [
            BalancerCandidate(address: nodeA, inFlight: 10),
            BalancerCandidate(address: nodeB, inFlight: 1),
            BalancerCandidate(address: nodeC, inFlight: 0),
        ]
        let counts = tally((0..<3_000).map { _ in balancer.pick(from: nodes, using: &rng) })
        #expect(counts[nodeA] == nil)
        // C wins every pair it is in (2 of 3 pairs), B only the pair (A, B).
        #expect((1_850...2_150).contains(counts[nodeC, default: 0]))
    }

    @Test("p2c spreads evenly over equally loaded nodes")
    func p2cUniform() {
        let balancer = LeastOutstandingBalancer()
        var rng = SplitMix64(seed: 8)
        let counts = tally((0..<30_000).map { _ in balancer.pick(from: candidates(nodeA, nodeB, nodeC), using: &rng) })
        #expect(counts.values.allSatisfy { (9_500...10_500).contains($0) })
    }

    @Test("p2c treats a ramping node as busier")
    func p2cSlowStart() {
        let balancer = LeastOutstandingBalancer()
        var rng = SplitMix64(seed: 8)
        // B has fewer calls in flight, but at factor 0.1 its load counts as (1 + 1) / 0.1 = 20 > (5 + 1).
        let nodes = [
            BalancerCandidate(address: nodeA, inFlight: 5),
            BalancerCandidate(address: nodeB, inFlight: 1, slowStartFactor: 0.1),
        ]
        #expect(tally((0..<100).map { _ in balancer.pick(from: nodes, using: &rng) }) == [nodeA: 100])
    }

    @Test("every balancer returns nil without candidates and the only node with one", arguments: BalancerKind.allCases)
    func degenerate(kind: BalancerKind) {
        var balancer = LoadBalancer(kind: kind)
        var rng = SplitMix64(seed: 1)
        #expect(balancer.pick(from: [], key: "k", using: &rng) == nil)
        #expect(balancer.pick(from: candidates(nodeB), key: "k", using: &rng) == nodeB)
        #expect(balancer.pick(from: candidates(nodeB), key: nil, using: &rng) == nodeB)
    }
}
