/// The slow-start ramp of one node: its traffic factor grows linearly from
/// ``SlowStartConfiguration/initialFactor`` to 1 over ``SlowStartConfiguration/window``.
///
/// The channel calls ``begin(now:)`` when a node joins (membership added) or rejoins (its breaker reports
/// ``BreakerAction/closed``), and passes ``factor(now:)`` as the node's ``BalancerCandidate/slowStartFactor``. Every
/// balancer except consistent hashing honours it: weighted round-robin and random scale the weight, round-robin
/// accepts the node's turn with that probability, p2c divides its load by it.
///
/// A node that never began a ramp, or whose ramp is over, has factor 1.
public struct SlowStart: Sendable, Hashable {
    /// The ramp's settings.
    public let configuration: SlowStartConfiguration
    /// When the current ramp began; `nil` if none has.
    public private(set) var startedAt: ContinuousClock.Instant?

    /// Creates a node at full share (no ramp).
    public init(configuration: SlowStartConfiguration = SlowStartConfiguration()) {
        self.configuration = configuration
    }

    /// Starts (or restarts) the ramp at `now`.
    public mutating func begin(now: ContinuousClock.Instant) {
        self.startedAt = now
    }

    /// The traffic factor at `now`: `initialFactor` at the start, rising linearly, 1 from `startedAt + window` on.
    public func factor(now: ContinuousClock.Instant) -> Double {
        guard let startedAt, self.configuration.window > .zero else { return 1 }
        let elapsed = now - startedAt
        guard elapsed < self.configuration.window else { return 1 }
        let initial = min(
            1, max(0.01, self.configuration.initialFactor.isFinite ? self.configuration.initialFactor : 1))
        let progress = max(0, elapsed / self.configuration.window)
        return initial + (1 - initial) * progress
    }

    /// Whether the ramp is still under way at `now` (the factor is below 1).
    public func isRamping(now: ContinuousClock.Instant) -> Bool {
        self.factor(now: now) < 1
    }
}
