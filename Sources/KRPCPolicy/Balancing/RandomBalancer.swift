/// Random choice weighted by weight × slow-start factor (uniform when all are equal).
public struct RandomBalancer: Sendable, Hashable {
    /// Creates the (stateless) balancer.
    public init() {}

    /// Picks a candidate with probability proportional to its effective weight; `nil` only when `candidates` is empty.
    public func pick(
        from candidates: [BalancerCandidate],
        using generator: inout some RandomNumberGenerator
    ) -> NodeAddress? {
        guard !candidates.isEmpty else { return nil }
        let weights = candidates.effectiveWeights
        let total = weights.reduce(0, +)
        guard total > 0, total.isFinite else { return candidates.randomElement(using: &generator)?.address }
        var point = Double.random(in: 0..<total, using: &generator)
        for (candidate, weight) in zip(candidates, weights) where weight > 0 {
            if point < weight { return candidate.address }
            point -= weight
        }
        // Rounding can leave `point` a hair above the last weight: take the last weighted candidate.
        let lastWeighted = weights.lastIndex(where: { $0 > 0 }) ?? candidates.index(before: candidates.endIndex)
        return candidates[lastWeighted].address
    }
}
