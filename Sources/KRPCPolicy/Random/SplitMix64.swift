/// A small, fast, seeded random number generator (Steele, Lea & Flood's SplitMix64, as in Vigna's reference C).
///
/// Use it wherever a policy takes `inout some RandomNumberGenerator` and the result must be reproducible: tests,
/// simulations, a seeded `krpc-bench`. It is not cryptographically secure. Copies are independent generators that
/// continue the same sequence.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let node = balancer.pick(from: candidates, key: nil, using: &rng)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The internal state; the next output is derived from `state &+ 0x9E3779B97F4A7C15`.
    public private(set) var state: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
