import Synchronization

/// A `Clock` that only moves when told to: for deterministic tests of code that sleeps or schedules timers.
///
/// Its instants are `ContinuousClock.Instant`s, so code generic over `C: Clock where C.Instant ==
/// ContinuousClock.Instant` runs unchanged against `ContinuousClock()` in production and a `ManualClock` in tests,
/// and the policy state machines (which take `now: ContinuousClock.Instant`) accept its ``now`` directly.
///
/// ``sleep(until:tolerance:)`` suspends until ``advance(by:)`` (or ``advance(to:)``) moves ``now`` to or past the
/// deadline; a deadline already reached returns at once. Cancelling a sleeping task resumes it with
/// `CancellationError`. ``pendingSleepers`` lets a test wait until the code under test is actually asleep before
/// advancing.
///
/// ```swift
/// let clock = ManualClock(startingAt: .now)
/// async let done: Void = clock.sleep(for: .seconds(5))
/// while clock.pendingSleepers == 0 { await Task.yield() }
/// clock.advance(by: .seconds(5))
/// try await done
/// ```
public final class ManualClock: Clock, Sendable {
    public typealias Instant = ContinuousClock.Instant
    public typealias Duration = Swift.Duration

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var now: Instant
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
    }

    private let state: Mutex<State>

    /// Creates a clock whose ``now`` is `start` until advanced. The start value is arbitrary (`.now` is typical).
    public init(startingAt start: Instant) {
        self.state = Mutex(State(now: start))
    }

    /// The current manual time.
    public var now: Instant { self.state.withLock { $0.now } }

    /// Zero: the clock has no granularity of its own.
    public var minimumResolution: Duration { .zero }

    /// The number of tasks currently suspended in ``sleep(until:tolerance:)``.
    public var pendingSleepers: Int { self.state.withLock { $0.sleepers.count } }

    /// The earliest deadline among the pending sleepers, if any.
    public var nextDeadline: Instant? { self.state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    /// Suspends until ``now`` reaches `deadline`; throws `CancellationError` if the task is or becomes cancelled.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id: UInt64? = self.state.withLock { state in
            guard deadline > state.now else { return nil }
            state.nextID += 1
            state.sleepers[state.nextID] = Sleeper(deadline: deadline, continuation: nil)
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = self.state.withLock { state in
                    // The entry is gone if a cancellation raced ahead of us; it is due if `advance` ran meanwhile.
                    guard let sleeper = state.sleepers[id] else { return .failure(CancellationError()) }
                    if sleeper.deadline <= state.now {
                        state.sleepers[id] = nil
                        return .success(())
                    }
                    state.sleepers[id]?.continuation = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let continuation = self.state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Moves ``now`` forward by `duration` (a negative duration is ignored) and resumes every sleeper now due.
    public func advance(by duration: Duration) {
        guard duration > .zero else { return }
        let due = self.state.withLock { state in
            state.now = state.now.advanced(by: duration)
            return Self.takeDue(&state)
        }
        for continuation in due { continuation.resume() }
    }

    /// Moves ``now`` to `instant` if that is later, and resumes every sleeper now due.
    public func advance(to instant: Instant) {
        let due = self.state.withLock { state in
            if instant > state.now { state.now = instant }
            return Self.takeDue(&state)
        }
        for continuation in due { continuation.resume() }
    }

    /// Removes the due sleepers that already parked a continuation, earliest deadline first.
    private static func takeDue(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        let due = state.sleepers.filter { $0.value.deadline <= state.now && $0.value.continuation != nil }
            .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
        for (id, _) in due { state.sleepers[id] = nil }
        return due.compactMap(\.value.continuation)
    }
}
