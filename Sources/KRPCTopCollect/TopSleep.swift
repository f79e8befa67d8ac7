import KRPC
public import NIOCore

/// How one of krpc-top's collection loops (the pollers, the snapshot delivery) waits for its next turn: until an
/// instant, throwing `CancellationError` when its task is cancelled first.
///
/// krpc-top runs them pinned to its collection loop, waking on that loop's timer on the ``TimerGrid`` of the refresh
/// interval shifted by half a step: a turn then wakes that one thread, together with every other turn due at the same
/// point, and never at the moment the call loop sends a batch (the load generator's batches and the channel's
/// breaker tick wake on the unshifted grid), so the calls' latency is not spent waiting for a core. `Task.sleep`
/// wakes the concurrency runtime's timer thread and a pool thread first.
public typealias TopSleep = @Sendable (ContinuousClock.Instant) async throws -> Void

/// The sleeps krpc-top's loops use.
public enum TopSleeps {
    /// The concurrency runtime's timer (`Task.sleep`): for loops not pinned to an event loop, and tests.
    public static let runtimeClock: TopSleep = { try await Task.sleep(until: $0, clock: .continuous) }

    /// `loop`'s own timer, at the point of the `step` grid (shifted by `offset`) nearest the instant asked for
    /// (never at once, at most half a step early or a step late): for loops pinned to `loop`. A zero step: the
    /// instant asked for.
    public static func onGrid(of loop: any EventLoop, step: Duration, offset: Duration = .zero) -> TopSleep {
        { try await loop.sleep(until: TimerGrid.align($0, step: step, offset: offset)) }
    }

    /// The collection loops' grid: `refresh` steps, half a step after the call loop's.
    public static func collecting(on loop: any EventLoop, refresh: Duration) -> TopSleep {
        Self.onGrid(of: loop, step: refresh, offset: refresh / 2)
    }
}
