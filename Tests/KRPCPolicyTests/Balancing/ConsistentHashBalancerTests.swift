import KRPCPolicy
import Testing

@Suite("Consistent-hash balancer")
struct ConsistentHashBalancerTests {
    let keys = (0..<3_000).map { "user-\($0)" }

    func owners(_ nodes: [BalancerCandidate], balancer: inout ConsistentHashBalancer) -> [String: NodeAddress] {
        var rng = SplitMix64(seed: 1)
        var owners: [String: NodeAddress] = [:]
        for key in self.keys { owners[key] = balancer.pick(from: nodes, key: key, using: &rng) }
        return owners
    }

    @Test("a key always maps to the same node, in any balancer instance and candidate order")
    func stable() {
        var first = ConsistentHashBalancer()
        var second = ConsistentHashBalancer()
        let one = self.owners(candidates(nodeA, nodeB, nodeC), balancer: &first)
        let two = self.owners(candidates(nodeC, nodeA, nodeB), balancer: &second)
        #expect(one == two)
        #expect(self.owners(candidates(nodeA, nodeB, nodeC), balancer: &first) == one)
    }

    @Test("keys spread over all nodes")
    func spread() {
        var balancer = ConsistentHashBalancer()
        let counts = tally(Array(self.owners(candidates(nodeA, nodeB, nodeC), balancer: &balancer).values))
        #expect(counts.count == 3)
        #expect(counts.values.allSatisfy { (700...1_300).contains($0) })
    }

    @Test("removing a node moves only its keys, and they come back when it returns")
    func removalMovesOnlyItsKeys() {
        var balancer = ConsistentHashBalancer()
        let before = self.owners(candidates(nodeA, nodeB, nodeC), balancer: &balancer)
        let after = self.owners(candidates(nodeA, nodeB), balancer: &balancer)
        var moved = 0
        for key in self.keys {
            if before[key] == nodeC {
                moved += 1
                #expect(after[key] == nodeA || after[key] == nodeB)
            } else {
                #expect(after[key] == before[key])
            }
        }
        #expect(moved > 0)
        #expect(self.owners(candidates(nodeA, nodeB, nodeC), balancer: &balancer) == before)
    }

    @Test("adding a node takes keys only for itself")
    func additionMovesOnlyToNewNode() {
        var balancer = ConsistentHashBalancer()
        let before = self.owners(candidates(nodeA, nodeB, nodeC), balancer: &balancer)
        let after = self.owners(candidates(nodeA, nodeB, nodeC, nodeD), balancer: &balancer)
        let changed = self.keys.filter { before[$0] != after[$0] }
        #expect(!changed.isEmpty)
        #expect(changed.allSatisfy { after[$0] == nodeD })
    }

    @Test("without a key it picks a random candidate")
    func noKey() {
        var balancer = LoadBalancer(kind: .consistentHash)
        var rng = SplitMix64(seed: 2)
        let counts = tally((0..<300).map { _ in balancer.pick(from: candidates(nodeA, nodeB, nodeC), using: &rng) })
        #expect(counts.count == 3)
    }
}
