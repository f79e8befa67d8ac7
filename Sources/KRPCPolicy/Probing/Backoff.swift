/// An exponential backoff schedule with a cap and symmetric jitter, used for reconnects and breaker cool-downs.
///
/// The unjittered sequence is `initial`, `initial × multiplier`, `initial × multiplier²`, …, never above `max`.
/// Each value handed out is jittered by a uniformly random factor in `1 ± jitter` (from the caller's generator) and
/// then clamped to `0...max`, so the result lies in `base × (1 - jitter) ... min(base × (1 + jitter), max)`. At
/// `jitter == 0` the sequence is exact and the generator is never used. Arithmetic is done in whole nanoseconds.
///
/// ```swift
/// var delays = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: 0.2).makeIterator()
/// let first = delays.next(using: &rng)   // 160...240 ms
/// let second = delays.next(using: &rng)  // 320...480 ms
/// delays.reset()                         // back to 200 ms
/// ```
///
/// Shape after grpc-swift's `ConnectionBackoff`; unlike it, randomness is injected and the first value is jittered too.
public struct Backoff: Sendable, Hashable {
    /// The first (unjittered) delay. Default 1 s.
    public var initial: Duration
    /// The cap on the unjittered delay and on every jittered result. Default 120 s.
    public var max: Duration
    /// The growth factor between consecutive delays, at least 1. Default 1.6.
    public var multiplier: Double
    /// The relative jitter, `0...1`: 0.2 spreads each delay over ±20 %. Default 0.2.
    public var jitter: Double

    /// Creates a schedule; the defaults are gRPC's connection backoff (1 s, ×1.6, capped at 120 s, ±20 %).
    public init(
        initial: Duration = .seconds(1),
        max: Duration = .seconds(120),
        multiplier: Double = 1.6,
        jitter: Double = 0.2
    ) {
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming the first invalid field (`Backoff.initial`, …).
    public func validate() throws {
        try self.validate(path: "Backoff")
    }

    func validate(path: String) throws {
        try Check.positive(self.initial, "\(path).initial")
        guard self.max >= self.initial else {
            throw PolicyConfigurationError(
                field: "\(path).max",
                message:
                    "must be at least initial (\(self.initial.compactDescription)), got \(self.max.compactDescription)"
            )
        }
        try Check.within(self.multiplier, 1...1_000, "\(path).multiplier")
        try Check.within(self.jitter, 0...1, "\(path).jitter")
    }

    /// Returns an iterator positioned at ``initial``.
    public func makeIterator() -> Iterator {
        Iterator(backoff: self)
    }

    /// Hands out the delays of a ``Backoff`` one by one.
    public struct Iterator: Sendable, Hashable {
        /// The schedule being iterated.
        public let backoff: Backoff
        /// The unjittered delay the next call to ``next(using:)`` is based on.
        public private(set) var upcoming: Duration
        /// How many delays have been handed out since creation or the last ``reset()``.
        public private(set) var count: Int = 0

        init(backoff: Backoff) {
            self.backoff = backoff
            self.upcoming = Swift.min(Swift.max(backoff.initial, .zero), Swift.max(backoff.max, .zero))
        }

        /// Returns the next jittered delay and advances the schedule (growth stops at ``Backoff/max``).
        public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
            let cap = Swift.max(self.backoff.max, .zero)
            let base = self.upcoming
            self.upcoming = base.policyScaled(by: Swift.max(1, self.backoff.multiplier), limit: cap)
            self.count += 1
            let jitter = Swift.min(Swift.max(self.backoff.jitter, 0), 1)
            guard jitter > 0 else { return base }
            let factor = Double.random(in: (1 - jitter)...(1 + jitter), using: &generator)
            return base.policyScaled(by: factor, limit: cap)
        }

        /// Restarts the schedule at ``Backoff/initial``.
        public mutating func reset() {
            self = Iterator(backoff: self.backoff)
        }
    }
}
