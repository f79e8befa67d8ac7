/// One node a balancer may pick, with what the balancers weigh.
public struct BalancerCandidate: Sendable, Hashable {
    /// The node.
    public var address: NodeAddress
    /// Its relative weight (from the registry data); used by weighted round-robin and random. Default 1.
    /// A weight of 0 or less is never picked unless every candidate has one (then all count as 1).
    public var weight: Int
    /// Calls currently outstanding on the node; used by least-outstanding (power of two choices). Default 0.
    public var inFlight: Int
    /// The slow-start traffic factor, `0...1` (see ``SlowStart``); 1 for a node at full share. Default 1.
    public var slowStartFactor: Double

    /// Creates a candidate; only the address is required.
    public init(address: NodeAddress, weight: Int = 1, inFlight: Int = 0, slowStartFactor: Double = 1) {
        self.address = address
        self.weight = weight
        self.inFlight = inFlight
        self.slowStartFactor = slowStartFactor
    }

    /// The slow-start factor clamped to `0...1` (NaN counts as 1).
    var clampedFactor: Double {
        guard !self.slowStartFactor.isNaN else { return 1 }
        return min(1, max(0, self.slowStartFactor))
    }

    /// `weight × slowStartFactor`, never negative.
    var effectiveWeight: Double {
        Double(max(0, self.weight)) * self.clampedFactor
    }
}

extension Array where Element == BalancerCandidate {
    /// The effective weights of the candidates, falling back to 1 each when they are all zero.
    var effectiveWeights: [Double] {
        let weights = self.map(\.effectiveWeight)
        return weights.contains(where: { $0 > 0 }) ? weights : [Double](repeating: 1, count: self.count)
    }
}
