/// Round-robin: each pick takes the next node after the previously picked one, in address order.
///
/// The cursor is the last picked *address*, not an index, so membership changes neither reset nor skew the rotation:
/// a node added anywhere joins at its place in the order, a removed node is simply skipped, and the others keep their
/// turn. With a stable set of `n` nodes, `k·n` picks give each node exactly `k`.
///
/// **Slow start.** A candidate whose ``BalancerCandidate/slowStartFactor`` is below 1 is accepted on its turn only
/// with that probability (drawn from the caller's generator), otherwise the rotation moves on; if every candidate
/// declines in one full round, the first one whose turn it was is taken. The generator is only used for ramping
/// candidates, so with all factors at 1 the rotation is exact. Weights are ignored.
public struct RoundRobinBalancer: Sendable, Hashable {
    /// The address picked last, the rotation's cursor.
    public private(set) var lastPicked: NodeAddress?

    /// Creates a balancer that starts with the lowest address.
    public init() {}

    /// Picks the next candidate in rotation; `nil` only when `candidates` is empty.
    public mutating func pick(
        from candidates: [BalancerCandidate],
        using generator: inout some RandomNumberGenerator
    ) -> NodeAddress? {
        var cursor = self.lastPicked
        var firstTurn: NodeAddress?
        for _ in 0..<candidates.count {
            guard let candidate = Self.successor(of: cursor, in: candidates) else { return nil }
            cursor = candidate.address
            if firstTurn == nil { firstTurn = candidate.address }
            let factor = candidate.clampedFactor
            if factor >= 1 || Double.random(in: 0..<1, using: &generator) < factor {
                self.lastPicked = candidate.address
                return candidate.address
            }
        }
        self.lastPicked = firstTurn
        return firstTurn
    }

    /// The candidate with the smallest address greater than `cursor`, wrapping to the smallest overall.
    static func successor(of cursor: NodeAddress?, in candidates: [BalancerCandidate]) -> BalancerCandidate? {
        var smallest: BalancerCandidate?
        var next: BalancerCandidate?
        for candidate in candidates {
            if smallest.map({ candidate.address < $0.address }) ?? true { smallest = candidate }
            if let cursor, cursor < candidate.address, next.map({ candidate.address < $0.address }) ?? true {
                next = candidate
            }
        }
        return next ?? smallest
    }
}
