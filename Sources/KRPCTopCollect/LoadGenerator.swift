import Synchronization

/// Drives calls at a target rate, open loop: call *n* starts at `anchor + n / rate` whether or not the
/// earlier calls have finished, so a slow node shows up as latency and in-flight calls, not as a lower rate
/// (no coordinated omission). Pausable and re-targetable at any time (the dashboard's space, `+` and `-`).
///
/// Calls that would push the number in flight past ``maxInFlight`` are skipped and counted in
/// ``Counters/skipped`` instead, so a dead cluster cannot make krpc-top pile up unbounded tasks.
public final class LoadGenerator: Sendable {
    /// What the generator has done so far.
    public struct Counters: Sendable, Hashable {
        /// Calls started.
        public var started = 0
        /// Calls finished (successfully or not).
        public var finished = 0
        /// Calls not started because too many were in flight.
        public var skipped = 0
    }

    private struct State {
        var rate: Double
        var paused: Bool
        /// Bumped on every change of rate or pause, so the ticker restarts its schedule.
        var generation = 0
        var counters = Counters()
    }

    /// The rates the generator drives, in calls per second; one outside them (0, say) sends nothing. Below
    /// 0.01/s a call's due time, `n / rate` seconds on, would soon overflow a `Duration`.
    public static let rates: ClosedRange<Double> = 0.01...1_000_000

    /// The most calls in flight at once.
    public let maxInFlight: Int
    /// The shortest time between two wake-ups of the generator: calls that fall due in between are sent
    /// together at the next wake-up (each at most this late; the rate is kept). Zero: every call on time.
    public let wakeInterval: Duration
    private let state: Mutex<State>
    private let call: @Sendable () async -> Void
    private let sleep: @Sendable (ContinuousClock.Instant) async throws -> Void
    private let now: @Sendable () -> ContinuousClock.Instant

    /// Creates a generator; ``run()`` starts it.
    /// - Parameters:
    ///   - rate: Target calls per second; outside ``rates`` (e.g. 0) nothing is sent.
    ///   - paused: Start paused.
    ///   - maxInFlight: The most calls in flight at once.
    ///   - sleep: Waits until an instant; throws when cancelled. krpc-top passes a timer on the channel's
    ///     event loop, so the ticks wake no other thread.
    ///   - now: The time (tests pass a simulated clock together with `sleep`).
    ///   - call: One call; errors are the callee's business (the channel counts them).
    public init(
        rate: Double,
        paused: Bool = false,
        maxInFlight: Int = 2000,
        wakeInterval: Duration = .zero,
        sleep: @escaping @Sendable (ContinuousClock.Instant) async throws -> Void = {
            try await Task.sleep(until: $0, clock: .continuous)
        },
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        call: @escaping @Sendable () async -> Void
    ) {
        self.state = Mutex(State(rate: rate, paused: paused))
        self.maxInFlight = maxInFlight
        self.wakeInterval = wakeInterval
        self.sleep = sleep
        self.now = now
        self.call = call
    }

    /// The target rate, in calls per second.
    public var rate: Double { self.state.withLock { $0.rate } }
    /// Whether the generator is paused.
    public var isPaused: Bool { self.state.withLock { $0.paused } }
    /// The counters now.
    public var counters: Counters { self.state.withLock { $0.counters } }

    /// Sets the target rate; the schedule restarts from now.
    public func setRate(_ rate: Double) {
        self.state.withLock { s in
            guard s.rate != rate else { return }
            s.rate = rate
            s.generation += 1
        }
    }

    /// Pauses or resumes; on resume the schedule restarts from now (no burst to catch up).
    public func setPaused(_ paused: Bool) {
        self.state.withLock { s in
            guard s.paused != paused else { return }
            s.paused = paused
            s.generation += 1
        }
    }

    /// Sends calls until cancelled, then cancels the calls in flight and waits for them.
    public func run() async {
        // Long sleeps are cut into steps of at most this, so a rate change from 0.1/s takes effect quickly.
        let maxSleep = Duration.milliseconds(100)
        await withDiscardingTaskGroup { group in
            var generation = -1
            var anchor = self.now()
            var sent = 0  // calls scheduled since the anchor
            var lastWake = self.now()
            while !Task.isCancelled {
                let (rate, paused, currentGeneration) = self.state.withLock { ($0.rate, $0.paused, $0.generation) }
                if currentGeneration != generation {
                    generation = currentGeneration
                    anchor = self.now()
                    sent = 0
                }
                guard !paused, Self.rates.contains(rate) else {
                    do { try await self.sleep(self.now() + maxSleep) } catch { break }
                    continue
                }
                let due = anchor + .seconds(Double(sent) / rate)
                let now = self.now()
                if due > now {
                    let wake = max(due, lastWake + self.wakeInterval)
                    do { try await self.sleep(min(wake, now + maxSleep)) } catch { break }
                    lastWake = self.now()
                    continue
                }
                sent += 1
                let admitted = self.state.withLock { s in
                    if s.counters.started - s.counters.finished >= self.maxInFlight {
                        s.counters.skipped += 1
                        return false
                    }
                    s.counters.started += 1
                    return true
                }
                guard admitted else { continue }
                group.addTask {
                    await self.call()
                    self.state.withLock { $0.counters.finished += 1 }
                }
            }
            group.cancelAll()
        }
    }
}
