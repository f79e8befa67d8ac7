/// The channel's load balancer: one of the concrete balancers, switchable at runtime by ``BalancerKind``.
///
/// An enum over the concrete structs rather than an existential (as grpc-swift's `LoadBalancer`), so picks are
/// statically dispatched and the whole value is `Sendable` and copyable. The channel keeps it inside its lock and
/// passes the eligible nodes (see ``EjectionPolicy``) as candidates on every pick.
///
/// ```swift
/// var balancer = LoadBalancer(kind: .roundRobin)
/// let node = balancer.pick(from: candidates, key: nil, using: &rng)
/// balancer = LoadBalancer(kind: balancer.kind.next)   // the dashboard's `b` key
/// ```
public enum LoadBalancer: Sendable, Hashable {
    /// ``RoundRobinBalancer``.
    case roundRobin(RoundRobinBalancer)
    /// ``WeightedRoundRobinBalancer``.
    case weightedRoundRobin(WeightedRoundRobinBalancer)
    /// ``RandomBalancer``.
    case random(RandomBalancer)
    /// ``LeastOutstandingBalancer``.
    case leastOutstanding(LeastOutstandingBalancer)
    /// ``ConsistentHashBalancer``.
    case consistentHash(ConsistentHashBalancer)

    /// A fresh balancer of the given kind with default settings.
    public init(kind: BalancerKind) {
        switch kind {
        case .roundRobin: self = .roundRobin(RoundRobinBalancer())
        case .weightedRoundRobin: self = .weightedRoundRobin(WeightedRoundRobinBalancer())
        case .random: self = .random(RandomBalancer())
        case .leastOutstanding: self = .leastOutstanding(LeastOutstandingBalancer())
        case .consistentHash: self = .consistentHash(ConsistentHashBalancer())
        }
    }

    /// The kind of the wrapped balancer.
    public var kind: BalancerKind {
        switch self {
        case .roundRobin: .roundRobin
        case .weightedRoundRobin: .weightedRoundRobin
        case .random: .random
        case .leastOutstanding: .leastOutstanding
        case .consistentHash: .consistentHash
        }
    }

    /// Picks a node among `candidates`; `nil` only when `candidates` is empty.
    /// - Parameters:
    ///   - candidates: The eligible nodes with weight, in-flight count and slow-start factor.
    ///   - key: The caller's affinity key; only consistent hashing uses it (without one it picks at random).
    ///   - generator: Randomness for the random, p2c, slow-start and key-less hash picks.
    public mutating func pick(
        from candidates: [BalancerCandidate],
        key: String? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> NodeAddress? {
        switch self {
        case .roundRobin(var balancer):
            let picked = balancer.pick(from: candidates, using: &generator)
            self = .roundRobin(balancer)
            return picked
        case .weightedRoundRobin(var balancer):
            // Drop self's reference first so the table is mutated in place rather than copied.
            self = .random(RandomBalancer())
            let picked = balancer.pick(from: candidates)
            self = .weightedRoundRobin(balancer)
            return picked
        case .random(let balancer):
            return balancer.pick(from: candidates, using: &generator)
        case .leastOutstanding(let balancer):
            return balancer.pick(from: candidates, using: &generator)
        case .consistentHash(var balancer):
            self = .random(RandomBalancer())
            let picked = balancer.pick(from: candidates, key: key, using: &generator)
            self = .consistentHash(balancer)
            return picked
        }
    }
}
