extension CircuitBreaker {
    /// When the next health probe is due; `nil` while closed, while a probe is in flight, or without probing.
    public var nextProbeAt: ContinuousClock.Instant? {
        guard self.configuration.probe != nil, self.state != .closed, self.probeInFlight == nil else { return nil }
        return self.nextProbeDue
    }

    /// Where probing stands: idle, scheduled (with the due instant) or in flight (with its deadline).
    public var probeStatus: ProbeStatus {
        if let ticket = self.probeInFlight {
            return .inFlight(startedAt: ticket.startedAt, deadline: ticket.deadline)
        }
        if let due = self.nextProbeAt { return .scheduled(at: due) }
        return .idle
    }

    /// Time left until the next probe is due, for the dashboard's countdown: zero when due or in flight, `nil` when
    /// the breaker is closed or probing is disabled.
    public func timeUntilNextProbe(now: ContinuousClock.Instant) -> Duration? {
        switch self.probeStatus {
        case .idle: nil
        case .inFlight: .zero
        case .scheduled(let due): max(.zero, due - now)
        }
    }

    /// Whether ``beginProbe(now:)`` would start a probe at `now`.
    public func probeDue(now: ContinuousClock.Instant) -> Bool {
        guard let due = self.nextProbeAt else { return false }
        return now >= due
    }

    /// Starts a health probe if one is due: returns its ticket (the channel sends `Health.Check` with
    /// `ticket.deadline` as its deadline), or `nil` when none is due.
    ///
    /// The following probe is scheduled `interval` after this one starts, or at the end of the current cool-down
    /// if that comes first.
    public mutating func beginProbe(now: ContinuousClock.Instant) -> ProbeTicket? {
        guard let probe = self.configuration.probe, self.probeDue(now: now) else { return nil }
        self.nextProbeID &+= 1
        let ticket = ProbeTicket(id: self.nextProbeID, startedAt: now, deadline: now + probe.timeout)
        self.probeInFlight = ticket
        var next = now + probe.interval
        if self.state == .open, let until = self.openUntil, until > now {
            next = min(next, until)
        }
        self.nextProbeDue = next
        return ticket
    }

    /// Takes the result of the probe `ticket` and returns the transition it caused.
    ///
    /// Open: a success moves to half-open immediately; a failure changes nothing. Half-open: a success counts
    /// towards closing; a failure re-opens with the next cool-down (`health probe failed: …`). Results for any other
    /// ticket than the one in flight (late, duplicate, or from before recovery) are ignored.
    /// - Parameters:
    ///   - outcome: `.success` for a serving node; a failure with its kind and message otherwise.
    ///   - ticket: The ticket from ``beginProbe(now:)``.
    ///   - now: When the answer arrived.
    ///   - generator: Jitters the cool-down if this re-opens the breaker.
    public mutating func recordProbe(
        _ outcome: CallOutcome,
        for ticket: ProbeTicket,
        now: ContinuousClock.Instant,
        using generator: inout some RandomNumberGenerator
    ) -> BreakerAction {
        guard let inFlight = self.probeInFlight, inFlight.id == ticket.id else { return .none }
        self.probeInFlight = nil
        self.lastProbeOutcome = outcome
        switch (self.state, outcome.failureDescription) {
        case (.closed, _):
            return .none
        case (.open, nil):
            return self.enterHalfOpen(now: now)
        case (.open, .some):
            return .none
        case (.halfOpen, nil):
            return self.countHalfOpenSuccess(now: now)
        case (.halfOpen, .some(let failure)):
            return self.trip(reason: "health probe failed: \(failure)", now: now, using: &generator)
        }
    }
}
