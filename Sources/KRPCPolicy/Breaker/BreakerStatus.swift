/// A copy of everything the dashboard shows about one breaker, taken at one instant.
public struct BreakerStatus: Sendable, Hashable {
    /// The state.
    public var state: BreakerState
    /// When the state was entered.
    public var since: ContinuousClock.Instant
    /// The reason of the most recent trip, if it ever opened.
    public var reason: String?
    /// The cool-down end while open.
    public var openUntil: ContinuousClock.Instant?
    /// The most recent cool-down length.
    public var cooldown: Duration?
    /// Counted failures since the last success or recovery.
    public var consecutiveFailures: Int
    /// Trips so far.
    public var tripCount: Int
    /// Trial calls in flight (half-open only).
    public var trialsInFlight: Int
    /// Health probing.
    public var probe: ProbeStatus
    /// Time until the next probe (see ``CircuitBreaker/timeUntilNextProbe(now:)``).
    public var timeUntilNextProbe: Duration?
}

extension CircuitBreaker {
    /// Everything the dashboard shows about this breaker, with the probe countdown measured at `now`.
    public func status(now: ContinuousClock.Instant) -> BreakerStatus {
        BreakerStatus(
            state: self.state,
            since: self.since,
            reason: self.reason,
            openUntil: self.openUntil,
            cooldown: self.currentCooldown,
            consecutiveFailures: self.consecutiveFailures,
            tripCount: self.tripCount,
            trialsInFlight: self.trialsInFlight,
            probe: self.probeStatus,
            timeUntilNextProbe: self.timeUntilNextProbe(now: now)
        )
    }
}
