/// The circuit breaker of one node: a value-type state machine the channel feeds with call outcomes and time.
///
/// **States.** *Closed*: every call is admitted and counted. It trips to *open* after
/// ``BreakerConfiguration/failureThreshold`` consecutive counted failures, or when the failure rate over a sliding
/// window reaches ``FailureRateConfiguration/threshold`` (with at least ``FailureRateConfiguration/minimumCalls``
/// calls in the window). *Open*: nothing is admitted until the cool-down ends (then ``tick(now:using:)`` moves it to
/// half-open) or a health probe succeeds. *Half-open*: up to ``BreakerConfiguration/halfOpenMaxTrials`` trial calls
/// at a time; ``BreakerConfiguration/halfOpenSuccessThreshold`` successes (trials or probes) close it, any failure
/// re-opens it with the next, longer cool-down.
///
/// **Cool-downs** follow ``BreakerConfiguration/cooldown``: 200 ms, then doubling on each re-trip up to 30 s, each
/// jittered from the caller's generator. The schedule restarts at its first value when a breaker trips after having
/// stayed closed for at least ``BreakerConfiguration/cooldownResetAfter``; a node that trips again sooner is
/// flapping and continues the longer schedule.
///
/// **Probes.** While open or half-open, the breaker asks for one health probe at a time (see
/// ``HealthProbeConfiguration``): ``beginProbe(now:)`` returns a ``ProbeTicket`` when one is due and
/// ``recordProbe(_:for:now:using:)`` takes its result. A successful probe moves an open breaker to half-open at once
/// (recovery does not wait for the cool-down or for user traffic) and counts as a half-open success; a failed probe
/// leaves an open breaker open and re-opens a half-open one.
///
/// **Calls.** ``acquire()`` returns a ``CallPermit`` or `nil`; each permit ends with one
/// ``record(_:for:now:using:)`` (counted outcomes) or ``release(_:)`` (caller errors, cancellations, lost hedges).
/// Outcomes of permits issued before the last state change are ignored.
///
/// Every mutating method returns a ``BreakerAction`` describing the transition, if any; time is always the explicit
/// `now`, randomness (cool-down jitter) the caller's generator. Not thread-safe by itself: keep it in the channel's
/// lock, compute the action under the lock and act on it outside.
///
/// ```swift
/// var breaker = CircuitBreaker(now: clock.now)
/// _ = breaker.tick(now: clock.now, using: &rng)             // before picking nodes
/// if let permit = breaker.acquire() {
///     let outcome: CallOutcome = …                           // send the call
///     switch breaker.record(outcome, for: permit, now: clock.now, using: &rng) {
///     case .opened(let until, let reason): …                 // emit an event, log
///     case .halfOpened, .closed, .none: …
///     }
/// }
/// if let ticket = breaker.beginProbe(now: clock.now) { … }  // send Health.Check, then recordProbe
/// ```
public struct CircuitBreaker: Sendable {
    /// The settings this breaker was created with.
    public let configuration: BreakerConfiguration
    /// The current state.
    public internal(set) var state: BreakerState
    /// When the current state was entered.
    public internal(set) var since: ContinuousClock.Instant
    /// The reason of the most recent trip (kept after recovery), e.g.
    /// `5 consecutive failures: internal 'injected error'`; `nil` if it never opened.
    public internal(set) var reason: String?
    /// When the current cool-down ends; `nil` unless ``state`` is ``BreakerState/open``.
    public internal(set) var openUntil: ContinuousClock.Instant?
    /// The jittered length of the most recent cool-down; `nil` if it never opened.
    public internal(set) var currentCooldown: Duration?
    /// Counted failures since the last success or recovery.
    public internal(set) var consecutiveFailures: Int = 0
    /// How many times the breaker has opened in total.
    public internal(set) var tripCount: Int = 0
    /// Trial calls currently admitted in half-open (0 in other states).
    public internal(set) var trialsInFlight: Int = 0
    /// Successes counted in the current half-open state.
    public internal(set) var halfOpenSuccesses: Int = 0
    /// The outcome of the most recently answered (or timed-out) health probe.
    public internal(set) var lastProbeOutcome: CallOutcome?

    /// Identifies the current state instance; bumped on every transition so stale permits can be recognised.
    var generation: UInt64 = 1
    var cooldowns: Backoff.Iterator
    /// Successes (first) and failures (second) of closed-state calls, when the rate rule is on.
    var window: SlidingWindowCounter?
    var lastClosedAt: ContinuousClock.Instant?
    var probeInFlight: ProbeTicket?
    var nextProbeDue: ContinuousClock.Instant?
    var nextProbeID: UInt64 = 0

    /// Creates a closed breaker.
    /// - Parameters:
    ///   - configuration: The settings; validate them at the boundary, out-of-range values are clamped here.
    ///   - now: The creation time, the ``since`` of the initial closed state.
    public init(configuration: BreakerConfiguration = BreakerConfiguration(), now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.state = .closed
        self.since = now
        self.cooldowns = configuration.cooldown.makeIterator()
        self.window = configuration.failureRate.map {
            SlidingWindowCounter(window: $0.window, bucketCount: $0.buckets)
        }
    }

    /// Whether ``acquire()`` would return a permit: closed, or half-open with a free trial slot.
    public var admits: Bool {
        switch self.state {
        case .closed: true
        case .halfOpen: self.trialsInFlight < max(1, self.configuration.halfOpenMaxTrials)
        case .open: false
        }
    }

    /// Admits one call if the state allows it: a ``CallPermit/Kind/normal`` permit when closed, a
    /// ``CallPermit/Kind/trial`` permit when half-open with a free trial slot (taking the slot), `nil` otherwise.
    ///
    /// Does not move an open breaker whose cool-down has ended: call ``tick(now:using:)`` first.
    public mutating func acquire() -> CallPermit? {
        switch self.state {
        case .closed:
            return CallPermit(kind: .normal, generation: self.generation)
        case .halfOpen:
            guard self.admits else { return nil }
            self.trialsInFlight += 1
            return CallPermit(kind: .trial, generation: self.generation)
        case .open:
            return nil
        }
    }

    /// Ends a permit without an outcome (a caller error, a cancelled call, a hedge that lost the race): frees its
    /// trial slot if it holds one. Stale and bypass permits are ignored.
    public mutating func release(_ permit: CallPermit) {
        guard permit.kind == .trial, permit.generation == self.generation, self.state == .halfOpen else { return }
        self.trialsInFlight = max(0, self.trialsInFlight - 1)
    }

    /// Counts the outcome of an admitted call and returns the transition it caused.
    ///
    /// Closed: a success resets the consecutive count; a failure may trip the breaker (consecutive rule first, then
    /// the rate rule). Half-open (trial permit): a success counts towards closing, a failure re-opens with the next
    /// cool-down. Outcomes of stale or bypass permits change nothing and return ``BreakerAction/none``.
    /// - Parameters:
    ///   - outcome: What happened; report only failures that count against the node.
    ///   - permit: The permit the call was admitted with.
    ///   - now: When the call ended.
    ///   - generator: Jitters the cool-down if this trips the breaker.
    public mutating func record(
        _ outcome: CallOutcome,
        for permit: CallPermit,
        now: ContinuousClock.Instant,
        using generator: inout some RandomNumberGenerator
    ) -> BreakerAction {
        guard permit.kind != .bypass, permit.generation == self.generation else { return .none }
        switch self.state {
        case .closed:
            return self.recordClosed(outcome, now: now, using: &generator)
        case .halfOpen:
            if permit.kind == .trial { self.trialsInFlight = max(0, self.trialsInFlight - 1) }
            guard let failure = outcome.failureDescription else {
                self.consecutiveFailures = 0
                return self.countHalfOpenSuccess(now: now)
            }
            self.consecutiveFailures += 1
            return self.trip(reason: "half-open trial failed: \(failure)", now: now, using: &generator)
        case .open:
            return .none
        }
    }

    /// Applies the passage of time: a probe unanswered past its deadline counts as failed, and an open breaker whose
    /// cool-down has ended goes half-open. Call it before selecting nodes and whenever a timer fires.
    public mutating func tick(now: ContinuousClock.Instant, using generator: inout some RandomNumberGenerator)
        -> BreakerAction
    {
        if let ticket = self.probeInFlight, now >= ticket.deadline {
            let action = self.recordProbe(ticket.unanswered, for: ticket, now: now, using: &generator)
            if action != .none { return action }
        }
        if self.state == .open, let until = self.openUntil, now >= until {
            return self.enterHalfOpen(now: now)
        }
        return .none
    }

    private mutating func recordClosed(
        _ outcome: CallOutcome,
        now: ContinuousClock.Instant,
        using generator: inout some RandomNumberGenerator
    ) -> BreakerAction {
        guard let failure = outcome.failureDescription else {
            self.consecutiveFailures = 0
            self.window?.add(first: 1, now: now)
            return .none
        }
        self.consecutiveFailures += 1
        self.window?.add(second: 1, now: now)
        if self.consecutiveFailures >= max(1, self.configuration.failureThreshold) {
            let reason = "\(self.consecutiveFailures) consecutive failures: \(failure)"
            return self.trip(reason: reason, now: now, using: &generator)
        }
        if let rule = self.configuration.failureRate, let window = self.window {
            let (successes, failures) = window.totals(now: now)
            let calls = successes + failures
            if calls >= rule.minimumCalls, calls > 0, Double(failures) / Double(calls) >= rule.threshold {
                let percent = failures * 100 / calls
                let reason =
                    "failure rate \(percent)% over \(rule.window.compactDescription) (\(calls) calls): \(failure)"
                return self.trip(reason: reason, now: now, using: &generator)
            }
        }
        return .none
    }
}
