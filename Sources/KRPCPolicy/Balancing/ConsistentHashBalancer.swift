/// Consistent hashing on a caller-given key: a ring of virtual nodes, each key served by the first point clockwise.
///
/// Every node places ``virtualNodes`` points on a 64-bit ring at `hash("<host:port>#<i>")` (a process-independent
/// hash, so every client maps a key to the same node). A key goes to the owner of the first point at or after
/// `hash(key)`, wrapping around. When a node leaves the candidate list (removed, or ejected by its breaker) only
/// the keys it owned move, to the next points on the ring; all other keys stay where they were, and they come back
/// when it returns. Weights and slow-start factors are ignored: a key's node is a fixed function of the set.
///
/// A pick without a key falls back to a uniformly random candidate. The ring is rebuilt only when the set of
/// candidate addresses changes.
public struct ConsistentHashBalancer: Sendable, Hashable {
    private struct Point: Sendable, Hashable {
        var hash: UInt64
        var address: NodeAddress
    }

    /// Points per node on the ring (more points, more even spread). Default 160, as ketama.
    public let virtualNodes: Int
    private var members: Set<NodeAddress> = []
    private var ring: [Point] = []

    /// Creates a balancer placing `virtualNodes` points per node (at least 1).
    public init(virtualNodes: Int = 160) {
        self.virtualNodes = max(1, virtualNodes)
    }

    /// Picks the node owning `key`; a random candidate when `key` is `nil`; `nil` only when `candidates` is empty.
    public mutating func pick(
        from candidates: [BalancerCandidate],
        key: String?,
        using generator: inout some RandomNumberGenerator
    ) -> NodeAddress? {
        guard !candidates.isEmpty else { return nil }
        guard let key else { return candidates.randomElement(using: &generator)?.address }
        self.rebuildIfNeeded(candidates)
        return self.owner(of: StableHash.hash(key))
    }

    /// The node owning `hash` on the current ring.
    private func owner(of hash: UInt64) -> NodeAddress? {
        var low = 0
        var high = self.ring.count
        while low < high {
            let middle = (low + high) / 2
            if self.ring[middle].hash < hash { low = middle + 1 } else { high = middle }
        }
        guard !self.ring.isEmpty else { return nil }
        return self.ring[low == self.ring.count ? 0 : low].address
    }

    private mutating func rebuildIfNeeded(_ candidates: [BalancerCandidate]) {
        let unchanged =
            candidates.allSatisfy { self.members.contains($0.address) }
            && Set(candidates.lazy.map(\.address)).count == self.members.count
        if unchanged && !self.ring.isEmpty { return }
        self.members = Set(candidates.map(\.address))
        var ring: [Point] = []
        ring.reserveCapacity(self.members.count * self.virtualNodes)
        for address in self.members {
            let name = address.description
            for index in 0..<self.virtualNodes {
                ring.append(Point(hash: StableHash.hash("\(name)#\(index)"), address: address))
            }
        }
        // Ties (astronomically rare) are broken by address so the ring never depends on Set order.
        ring.sort { ($0.hash, $0.address) < ($1.hash, $1.address) }
        self.ring = ring
    }
}
