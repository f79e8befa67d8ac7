import KRPCPolicy
import Testing

@Suite("Smooth weighted round-robin balancer")
struct WeightedRoundRobinBalancerTests {
    let weighted = [
        BalancerCandidate(address: nodeA, weight: 5),
        BalancerCandidate(address: nodeB, weight: 1),
        BalancerCandidate(address: nodeC, weight: 1),
    ]

    @Test("weights 5, 1, 1 give nginx's sequence a a b a c a a")
    func nginxSequence() {
        var balancer = WeightedRoundRobinBalancer()
        let picks = (0..<7).map { _ in balancer.pick(from: self.weighted) }
        #expect(picks == [nodeA, nodeA, nodeB, nodeA, nodeC, nodeA, nodeA])
    }

    @Test("the spread matches the weights exactly over whole cycles")
    func exactSpread() {
        var balancer = LoadBalancer(kind: .weightedRoundRobin)
        var rng = SplitMix64(seed: 1)
        let picks = (0..<700).map { _ in balancer.pick(from: self.weighted, using: &rng) }
        #expect(tally(picks) == [nodeA: 500, nodeB: 100, nodeC: 100])
    }

    @Test("the slow-start factor scales the weight")
    func slowStart() {
        var balancer = WeightedRoundRobinBalancer()
        let nodes = [
            BalancerCandidate(address: nodeA),
            BalancerCandidate(address: nodeB),
            BalancerCandidate(address: nodeC, slowStartFactor: 0.5),
        ]
        let picks = (0..<500).map { _ in balancer.pick(from: nodes) }
        #expect(tally(picks) == [nodeA: 200, nodeB: 200, nodeC: 100])
    }

    @Test("weight 0 is never picked, unless every weight is 0")
    func zeroWeights() {
        var balancer = WeightedRoundRobinBalancer()
        let some = [BalancerCandidate(address: nodeA, weight: 0), BalancerCandidate(address: nodeB, weight: 2)]
        #expect(tally((0..<10).map { _ in balancer.pick(from: some) }) == [nodeB: 10])
        let none = [BalancerCandidate(address: nodeA, weight: 0), BalancerCandidate(address: nodeB, weight: 0)]
        #expect(tally((0..<10).map { _ in balancer.pick(from: none) }) == [nodeA: 5, nodeB: 5])
        #expect(balancer.pick(from: []) == nil)
    }

    @Test("a node joining mid-stream gets its share without resetting the others")
    func membershipChange() {
        var balancer = WeightedRoundRobinBalancer()
        for _ in 0..<3 { _ = balancer.pick(from: candidates(nodeA, nodeB)) }
        let picks = (0..<300).map { _ in balancer.pick(from: candidates(nodeA, nodeB, nodeC)) }
        let counts = tally(picks)
        #expect(counts.values.allSatisfy { (99...101).contains($0) })
        #expect(counts.values.reduce(0, +) == 300)
    }
}
