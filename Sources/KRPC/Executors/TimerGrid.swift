/// A process-wide grid of instants for periodic timers to wake on, so that loops sharing one event loop wake
/// together instead of each on its own phase.
///
/// A thread that wakes from idle pays for it (the scheduler, cold caches) far more than for the little work most
/// periodic turns do. Two 100 ms loops that sleep `interval` after their own start wake 20 times a second; aligned
/// to the same grid they wake 10 times, and whatever answers a turn's request (a Redis reply, a call's response)
/// often arrives while the loop is still busy with the other's. The channel's breaker tick wakes on the grid of its
/// interval. A grid can be shifted by an `offset`: loops on another thread that should *not* wake at the same
/// moment (krpc-top's snapshots and drawing, beside its calls) wake half a step apart.
public enum TimerGrid {
    /// The grid's origin: fixed at first use and shared by every caller in the process.
    private static let origin = ContinuousClock.now

    /// The point of the `step` grid (shifted by `offset`) nearest to `instant`, or the next one when the nearest
    /// is not after `now` (a loop never wakes at once, nor more than `step` late; one asking for an instant within
    /// `step / 2` of the last point wakes up to `step / 2` early).
    public static func align(
        _ instant: ContinuousClock.Instant, step: Duration, offset: Duration = .zero,
        after now: ContinuousClock.Instant = .now
    ) -> ContinuousClock.Instant {
        guard step > .zero else { return instant }
        let origin = Self.origin + offset
        var aligned = origin + step * Int64(((instant - origin) / step).rounded())
        if aligned <= now {
            aligned = origin + step * (Int64(((now - origin) / step).rounded(.down)) + 1)
        }
        return aligned
    }
}
