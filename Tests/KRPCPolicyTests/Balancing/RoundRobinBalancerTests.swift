import KRPCPolicy
import Testing

@Suite("Round-robin balancer")
struct RoundRobinBalancerTests {
    @Test("300 picks on 3 nodes give exactly 100 each, in address order")
    func exactSpread() {
        var balancer = LoadBalancer(kind: .roundRobin)
        var rng = SplitMix64(seed: 1)
        let nodes = candidates(nodeC, nodeA, nodeB)  // input order does not matter
        let picks = (0..<300).map { _ in balancer.pick(from: nodes, using: &rng) }
        #expect(tally(picks) == [nodeA: 100, nodeB: 100, nodeC: 100])
        #expect(Array(picks.prefix(4)) == [nodeA, nodeB, nodeC, nodeA])
    }

    @Test("membership changes keep the rotation going instead of resetting it")
    func membershipChanges() {
        var balancer = RoundRobinBalancer()
        var rng = SplitMix64(seed: 1)
        var picks: [NodeAddress?] = []
        picks.append(balancer.pick(from: candidates(nodeA, nodeB, nodeC), using: &rng))  // A
        picks.append(balancer.pick(from: candidates(nodeA, nodeB, nodeC), using: &rng))  // B
        // D joins: C still gets its turn, then D, then back to A.
        for _ in 0..<3 { picks.append(balancer.pick(from: candidates(nodeA, nodeB, nodeC, nodeD), using: &rng)) }
        // B leaves right after A: the turn passes to C.
        picks.append(balancer.pick(from: candidates(nodeA, nodeC, nodeD), using: &rng))
        // The last picked node (C) leaves: the rotation continues after it, with D.
        picks.append(balancer.pick(from: candidates(nodeA, nodeB, nodeD), using: &rng))
        #expect(picks == [nodeA, nodeB, nodeC, nodeD, nodeA, nodeC, nodeD])
    }

    @Test("no candidates, no pick")
    func empty() {
        var balancer = RoundRobinBalancer()
        var rng = SplitMix64(seed: 1)
        #expect(balancer.pick(from: [], using: &rng) == nil)
    }

    @Test("a slow-starting node takes its turn with probability equal to its factor")
    func slowStart() {
        var balancer = RoundRobinBalancer()
        var rng = SplitMix64(seed: 99)
        let nodes = [
            BalancerCandidate(address: nodeA),
            BalancerCandidate(address: nodeB),
            BalancerCandidate(address: nodeC, slowStartFactor: 0.1),
        ]
        let counts = tally((0..<10_000).map { _ in balancer.pick(from: nodes, using: &rng) })
        // C accepts 1 turn in 10; a declined turn passes to A, so C's share is 0.1 / 2.1 ≈ 4.8 %.
        let shareC = Double(counts[nodeC, default: 0]) / 10_000
        #expect(shareC > 0.035 && shareC < 0.065)
        #expect(abs(counts[nodeA, default: 0] - counts[nodeB, default: 0]) <= 1)
    }

    @Test("when every node is ramping and declines, plain rotation still happens")
    func allDecline() {
        var balancer = RoundRobinBalancer()
        var rng = SplitMix64(seed: 5)
        let nodes = [nodeA, nodeB, nodeC].map { BalancerCandidate(address: $0, slowStartFactor: 0) }
        let picks = (0..<300).map { _ in balancer.pick(from: nodes, using: &rng) }
        #expect(tally(picks) == [nodeA: 100, nodeB: 100, nodeC: 100])
    }
}
