/// Decides when to send a backup (hedged) attempt to another node while the first is still pending.
///
/// Extra attempt `k` (1-based) becomes due at `startedAt + k × delay`, up to ``maxExtraAttempts``. It is sent only
/// if it would start before the call's deadline, some eligible node has not been tried yet, and the
/// ``RetryBudget`` allows it (hedges are extra load, like retries). The first answer wins; the channel cancels the
/// others (and releases their breaker permits). So a node that hangs costs the caller about `delay`, not its deadline.
///
/// Like failover, hedging is only for idempotent calls; the channel skips it for the others.
public struct HedgingPolicy: Sendable, Hashable {
    /// The time after the call (or the previous hedge) started before a backup attempt is sent. Default 100 ms.
    public var delay: Duration
    /// The most backup attempts per call. Default 1.
    public var maxExtraAttempts: Int

    /// Creates a policy; every field has a default.
    public init(delay: Duration = .milliseconds(100), maxExtraAttempts: Int = 1) {
        self.delay = delay
        self.maxExtraAttempts = maxExtraAttempts
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming `HedgingPolicy.delay` or `.maxExtraAttempts`.
    public func validate() throws {
        try Check.positive(self.delay, "HedgingPolicy.delay")
        try Check.atLeast(self.maxExtraAttempts, 0, "HedgingPolicy.maxExtraAttempts")
    }

    /// When the next backup attempt is due, or `nil` when all ``maxExtraAttempts`` have been started.
    /// - Parameters:
    ///   - startedAt: When the call's first attempt started.
    ///   - extraAttemptsStarted: Backup attempts already started.
    public func nextHedgeAt(startedAt: ContinuousClock.Instant, extraAttemptsStarted: Int) -> ContinuousClock.Instant? {
        guard extraAttemptsStarted < self.maxExtraAttempts else { return nil }
        return startedAt + self.delay * (max(0, extraAttemptsStarted) + 1)
    }

    /// Decides whether to send a backup attempt now; withdraws from `budget` only when the answer is to hedge.
    /// - Parameters:
    ///   - now: The current time (typically when the hedge timer fires).
    ///   - startedAt: When the call's first attempt started.
    ///   - extraAttemptsStarted: Backup attempts already started.
    ///   - deadline: The call's deadline.
    ///   - candidates: The currently eligible nodes.
    ///   - tried: The nodes this call has already been sent to.
    ///   - budget: The channel's retry budget.
    public func decide(
        now: ContinuousClock.Instant,
        startedAt: ContinuousClock.Instant,
        extraAttemptsStarted: Int,
        deadline: ContinuousClock.Instant,
        candidates: [BalancerCandidate],
        tried: Set<NodeAddress>,
        budget: inout RetryBudget
    ) -> HedgeDecision {
        guard let due = self.nextHedgeAt(startedAt: startedAt, extraAttemptsStarted: extraAttemptsStarted) else {
            return .stop(.maxAttemptsReached)
        }
        guard due < deadline, now < deadline else { return .stop(.deadlineTooClose) }
        guard now >= due else { return .wait(until: due) }
        let untried = candidates.excluding(tried)
        guard !untried.isEmpty else { return .stop(.noOtherNode) }
        guard budget.tryRetry(now: now) else { return .stop(.budgetExhausted) }
        return .hedge(on: untried)
    }
}

/// The answer of ``HedgingPolicy/decide(now:startedAt:extraAttemptsStarted:deadline:candidates:tried:budget:)``.
public enum HedgeDecision: Sendable, Hashable {
    /// Send a backup attempt to one of these (untried, eligible) nodes now; it has been counted in the budget.
    case hedge(on: [BalancerCandidate])
    /// Not yet: ask again at this instant (if the call is still pending).
    case wait(until: ContinuousClock.Instant)
    /// No (more) hedging for this call.
    case stop(Reason)

    /// Why no backup attempt will be sent.
    public enum Reason: Sendable, Hashable {
        /// ``HedgingPolicy/maxExtraAttempts`` backups were started.
        case maxAttemptsReached
        /// The next backup would start at or after the call's deadline.
        case deadlineTooClose
        /// Every eligible node has been tried.
        case noOtherNode
        /// The retry budget is spent.
        case budgetExhausted
    }
}
