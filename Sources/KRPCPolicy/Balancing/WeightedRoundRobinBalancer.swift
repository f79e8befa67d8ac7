/// Smooth weighted round-robin, nginx's algorithm (`ngx_http_upstream_get_peer`).
///
/// On each pick every candidate's current weight grows by its effective weight (weight × slow-start factor), the
/// candidate with the largest current weight wins (ties go to the lower address), and the winner's current weight
/// drops by the total. Weights 5, 1, 1 give the sequence a a b a c a a, spreading the heavy node's turns instead of
/// bunching them. Candidates with weight 0 are skipped unless all are 0 (then all count as 1).
///
/// Current weights are kept per address, so a node that drops out of the candidate list for a while (its breaker is
/// half-open and busy) keeps its position, and a new node starts at 0 without disturbing the others.
public struct WeightedRoundRobinBalancer: Sendable, Hashable {
    /// Current weights by address.
    private var current: [NodeAddress: Double] = [:]

    /// Creates a balancer with all current weights at zero.
    public init() {}

    /// Picks a candidate; `nil` only when `candidates` is empty.
    public mutating func pick(from candidates: [BalancerCandidate]) -> NodeAddress? {
        guard !candidates.isEmpty else { return nil }
        // Forget nodes that have been gone a while, so churn cannot grow the table without bound.
        if self.current.count > 2 * candidates.count + 16 {
            let present = Set(candidates.map(\.address))
            self.current = self.current.filter { present.contains($0.key) }
        }
        let weights = candidates.effectiveWeights
        var total = 0.0
        var best: (address: NodeAddress, weight: Double)?
        for (candidate, weight) in zip(candidates, weights) where weight > 0 {
            let updated = self.current[candidate.address, default: 0] + weight
            self.current[candidate.address] = updated
            total += weight
            if let leader = best,
                updated < leader.weight || (updated == leader.weight && leader.address < candidate.address)
            {
                continue
            }
            best = (candidate.address, updated)
        }
        guard let best else { return nil }
        self.current[best.address] = best.weight - total
        return best.address
    }
}
