extension CircuitBreaker {
    /// Opens the breaker (from closed or half-open) with the next cool-down of the schedule.
    mutating func trip(
        reason: String,
        now: ContinuousClock.Instant,
        using generator: inout some RandomNumberGenerator
    ) -> BreakerAction {
        // A breaker that stayed closed long enough recovered for real: restart the cool-down schedule.
        // Without a recovery in between (half-open re-trip, or a short closed spell) the schedule keeps growing.
        if self.state == .closed, let closedAt = self.lastClosedAt,
            now - closedAt >= self.configuration.cooldownResetAfter
        {
            self.cooldowns.reset()
        }
        let cooldown = self.cooldowns.next(using: &generator)
        let until = now + cooldown
        self.state = .open
        self.since = now
        self.reason = reason
        self.openUntil = until
        self.currentCooldown = cooldown
        self.tripCount += 1
        self.enterNewGeneration()
        // Probe one interval after the trip (or as already scheduled), and at the latest when the cool-down ends.
        if let probe = self.configuration.probe {
            self.nextProbeDue = min(self.nextProbeDue ?? (now + probe.interval), until)
        }
        return .opened(until: until, reason: reason)
    }

    /// Moves an open breaker to half-open.
    mutating func enterHalfOpen(now: ContinuousClock.Instant) -> BreakerAction {
        self.state = .halfOpen
        self.since = now
        self.openUntil = nil
        self.enterNewGeneration()
        return .halfOpened
    }

    /// Counts one half-open success (trial or probe) and closes once enough have been seen.
    mutating func countHalfOpenSuccess(now: ContinuousClock.Instant) -> BreakerAction {
        self.halfOpenSuccesses += 1
        guard self.halfOpenSuccesses >= max(1, self.configuration.halfOpenSuccessThreshold) else { return .none }
        self.state = .closed
        self.since = now
        self.openUntil = nil
        self.consecutiveFailures = 0
        self.lastClosedAt = now
        self.window?.reset()
        self.probeInFlight = nil
        self.nextProbeDue = nil
        self.enterNewGeneration()
        return .closed
    }

    private mutating func enterNewGeneration() {
        self.generation &+= 1
        if self.generation == 0 { self.generation = 1 }  // 0 is reserved for bypass permits
        self.trialsInFlight = 0
        self.halfOpenSuccesses = 0
    }
}
