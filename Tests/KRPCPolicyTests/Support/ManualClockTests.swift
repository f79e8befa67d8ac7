import KRPCPolicy
import Testing

@Suite("ManualClock")
struct ManualClockTests {
    /// Yields until `condition` holds; fails the test instead of hanging if it never does.
    func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
        for _ in 0..<100_000 {
            if condition() { return }
            await Task.yield()
        }
        Issue.record("condition never became true", sourceLocation: sourceLocation)
    }

    @Test("now moves only when advanced, never backwards")
    func advancing() {
        let clock = ManualClock(startingAt: t0)
        #expect(clock.now == t0)
        clock.advance(by: .seconds(2))
        #expect(clock.now == t0 + .seconds(2))
        clock.advance(by: .seconds(-1))
        clock.advance(to: t0)
        #expect(clock.now == t0 + .seconds(2))
        clock.advance(to: t0 + .seconds(3))
        #expect(clock.now == t0 + .seconds(3))
        #expect(clock.minimumResolution == .zero)
    }

    @Test("a sleeper resumes only once its deadline has passed")
    func sleeperResumes() async throws {
        let clock = ManualClock(startingAt: t0)
        let sleeper = Task { try await clock.sleep(until: t0 + .seconds(1), tolerance: nil) }
        await self.waitUntil { clock.pendingSleepers == 1 }
        #expect(clock.nextDeadline == t0 + .seconds(1))
        clock.advance(by: .milliseconds(999))
        #expect(clock.pendingSleepers == 1)
        clock.advance(by: .milliseconds(1))
        try await sleeper.value
        #expect(clock.pendingSleepers == 0)
        #expect(clock.nextDeadline == nil)
    }

    @Test("sleep(for:) measures from the manual now")
    func sleepFor() async throws {
        let clock = ManualClock(startingAt: t0)
        clock.advance(by: .seconds(10))
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        await self.waitUntil { clock.pendingSleepers == 1 }
        #expect(clock.nextDeadline == t0 + .seconds(15))
        clock.advance(to: t0 + .seconds(20))
        try await sleeper.value
    }

    @Test("only the due sleepers resume")
    func severalSleepers() async throws {
        let clock = ManualClock(startingAt: t0)
        let early = Task { try await clock.sleep(until: t0 + .seconds(1), tolerance: nil) }
        let late = Task { try await clock.sleep(until: t0 + .seconds(3), tolerance: nil) }
        await self.waitUntil { clock.pendingSleepers == 2 }
        clock.advance(by: .seconds(2))
        try await early.value
        #expect(clock.pendingSleepers == 1)
        #expect(clock.nextDeadline == t0 + .seconds(3))
        clock.advance(by: .seconds(1))
        try await late.value
    }

    @Test("a deadline already reached returns at once")
    func pastDeadline() async throws {
        let clock = ManualClock(startingAt: t0)
        try await clock.sleep(until: t0, tolerance: nil)
        try await clock.sleep(until: t0 - .seconds(1), tolerance: nil)
        #expect(clock.pendingSleepers == 0)
    }

    @Test("cancelling a sleeper throws CancellationError and forgets it")
    func cancellation() async {
        let clock = ManualClock(startingAt: t0)
        let sleeper = Task { try await clock.sleep(until: t0 + .seconds(60), tolerance: nil) }
        await self.waitUntil { clock.pendingSleepers == 1 }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.pendingSleepers == 0)
    }

    @Test("a cancelled task does not sleep at all")
    func cancelledBefore() async {
        let clock = ManualClock(startingAt: t0)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(until: t0 + .seconds(1), tolerance: nil)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.pendingSleepers == 0)
    }
}
