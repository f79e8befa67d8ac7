/// Decides whether a failed attempt is retried on another node (failover), deterministically.
///
/// A failure is retried when its kind is in ``retryableFailures``, fewer than ``maxAttempts`` attempts were made,
/// at least ``minimumTimeLeft`` remains before the call's deadline, some eligible node has not been tried yet, and the
/// ``RetryBudget`` allows a retry (checked last, so a refusal for another reason costs no budget). The decision
/// carries the untried candidates; the channel picks among them with its balancer.
///
/// Calls that are not idempotent must not be retried: the channel skips the decision for them (per-method opt-out).
public struct FailoverPolicy: Sendable, Hashable {
    /// Total attempts per call, including the first. Default 3.
    public var maxAttempts: Int
    /// The failure kinds worth retrying elsewhere. Default: transport, unavailable, internal, deadline exceeded.
    public var retryableFailures: Set<FailureKind>
    /// The least time that must remain before the deadline for a retry to be worth sending. Default 1 ms.
    public var minimumTimeLeft: Duration

    /// Creates a policy; every field has a default.
    public init(
        maxAttempts: Int = 3,
        retryableFailures: Set<FailureKind> = [.transport, .unavailable, .internal, .deadlineExceeded],
        minimumTimeLeft: Duration = .milliseconds(1)
    ) {
        self.maxAttempts = maxAttempts
        self.retryableFailures = retryableFailures
        self.minimumTimeLeft = minimumTimeLeft
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming `FailoverPolicy.maxAttempts` or `.minimumTimeLeft`.
    public func validate() throws {
        try Check.atLeast(self.maxAttempts, 1, "FailoverPolicy.maxAttempts")
        try Check.nonNegative(self.minimumTimeLeft, "FailoverPolicy.minimumTimeLeft")
    }

    /// Decides what to do after a failed attempt; withdraws from `budget` only when the answer is to retry.
    /// - Parameters:
    ///   - failure: The kind of the attempt's failure.
    ///   - attemptsMade: Attempts made so far, including the one that failed (and any hedges).
    ///   - now: The current time.
    ///   - deadline: The call's deadline.
    ///   - candidates: The currently eligible nodes.
    ///   - tried: The nodes this call has already been sent to.
    ///   - budget: The channel's retry budget.
    public func decide(
        after failure: FailureKind,
        attemptsMade: Int,
        now: ContinuousClock.Instant,
        deadline: ContinuousClock.Instant,
        candidates: [BalancerCandidate],
        tried: Set<NodeAddress>,
        budget: inout RetryBudget
    ) -> FailoverDecision {
        guard self.retryableFailures.contains(failure) else { return .giveUp(.notRetryable(failure)) }
        guard attemptsMade < self.maxAttempts else { return .giveUp(.attemptsExhausted) }
        guard now + self.minimumTimeLeft < deadline else { return .giveUp(.deadlineTooClose) }
        let untried = candidates.excluding(tried)
        guard !untried.isEmpty else { return .giveUp(.noOtherNode) }
        guard budget.tryRetry(now: now) else { return .giveUp(.budgetExhausted) }
        return .retry(on: untried)
    }
}

/// The answer of ``FailoverPolicy/decide(after:attemptsMade:now:deadline:candidates:tried:budget:)``.
public enum FailoverDecision: Sendable, Hashable {
    /// Retry on one of these (untried, eligible) nodes; the retry has been counted in the budget.
    case retry(on: [BalancerCandidate])
    /// Fail the call with the attempt's error.
    case giveUp(Reason)

    /// Why a failed attempt is not retried.
    public enum Reason: Sendable, Hashable {
        /// The failure kind is not in ``FailoverPolicy/retryableFailures``.
        case notRetryable(FailureKind)
        /// ``FailoverPolicy/maxAttempts`` attempts were made.
        case attemptsExhausted
        /// Less than ``FailoverPolicy/minimumTimeLeft`` remains before the deadline.
        case deadlineTooClose
        /// Every eligible node has been tried.
        case noOtherNode
        /// The retry budget is spent.
        case budgetExhausted
    }
}
