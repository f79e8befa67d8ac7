/// Least outstanding calls by the power of two choices: sample two distinct candidates, take the less loaded.
///
/// Load is `(inFlight + 1) / slowStartFactor`, so a ramping node looks busier than it is and gets less traffic.
/// Ties go to the first sampled candidate. With two or more candidates the single most loaded one is never picked.
/// Weights are ignored.
public struct LeastOutstandingBalancer: Sendable, Hashable {
    /// Creates the (stateless) balancer.
    public init() {}

    /// Picks the less loaded of two random distinct candidates; `nil` only when `candidates` is empty.
    public func pick(
        from candidates: [BalancerCandidate],
        using generator: inout some RandomNumberGenerator
    ) -> NodeAddress? {
        switch candidates.count {
        case 0: return nil
        case 1: return candidates[0].address
        default: break
        }
        let first = Int.random(in: 0..<candidates.count, using: &generator)
        var second = Int.random(in: 0..<(candidates.count - 1), using: &generator)
        if second >= first { second += 1 }
        let a = candidates[first]
        let b = candidates[second]
        return Self.load(b) < Self.load(a) ? b.address : a.address
    }

    static func load(_ candidate: BalancerCandidate) -> Double {
        Double(max(0, candidate.inFlight) + 1) / max(0.01, candidate.clampedFactor)
    }
}
