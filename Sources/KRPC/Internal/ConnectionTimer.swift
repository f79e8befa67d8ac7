/// The one timer of a connection (server or client): the deadlines of its calls in a
/// ``DeadlineQueue``, plus any other wake-up its state machine wants (the server's idle check),
/// behind a single event-loop timer.
///
/// Pure bookkeeping: it never reads a clock. Times are `NIODeadline.uptimeNanoseconds` values the
/// caller passes in (from its event loop's `now`, so that `EmbeddedEventLoop.advanceTime` drives
/// it in tests). It says when the timer must be (re)scheduled; the channel handler does the
/// scheduling.
struct ConnectionTimer {
    /// What to do with the event-loop timer.
    enum Action: Equatable, Sendable {
        /// Leave it as it is.
        case none
        /// Schedule it to fire at this time, replacing the one scheduled (if any).
        case schedule(at: UInt64)
    }

    private var queue = DeadlineQueue()
    /// When the scheduled timer fires; `.max` when none is scheduled.
    private(set) var scheduledAt: UInt64 = .max

    /// The number of deadlines held (including stale ones of calls that ended).
    var count: Int { self.queue.count }

    /// Adds the deadline of call `id`. `live` lists the deadlines of the calls still pending, for
    /// when stale entries must be compacted away (it is called rarely).
    mutating func add(
        deadline: UInt64,
        id: UInt64,
        liveCount: Int,
        live: () -> [DeadlineQueue.Entry]
    ) -> Action {
        self.queue.push(deadline: deadline, id: id)
        self.queue.compactIfNeeded(liveCount: liveCount, live: live)
        return self.wake(at: deadline)
    }

    /// Asks for a wake-up at `time` (or earlier).
    mutating func wake(at time: UInt64) -> Action {
        guard time < self.scheduledAt else { return .none }
        self.scheduledAt = time
        return .schedule(at: time)
    }

    /// The scheduled timer fired (no timer is scheduled from here on).
    mutating func fired() {
        self.scheduledAt = .max
    }

    /// Removes and returns the earliest deadline that passed by `now` and `isCurrent` accepts;
    /// entries `isCurrent` rejects (calls that ended, or got another deadline) are dropped on the way.
    mutating func popExpired(now: UInt64, isCurrent: (DeadlineQueue.Entry) -> Bool) -> DeadlineQueue.Entry? {
        while let top = self.queue.minimum {
            if isCurrent(top) {
                guard top.deadline <= now else { return nil }
                return self.queue.pop()
            }
            _ = self.queue.pop()
        }
        return nil
    }

    /// After ``fired()`` and ``popExpired(now:isCurrent:)``: schedules the timer for the next
    /// deadline, or for `other` if that is sooner.
    mutating func rearm(other: UInt64? = nil) -> Action {
        let next = min(self.queue.minimum?.deadline ?? .max, other ?? .max)
        guard next != .max else { return .none }
        return self.wake(at: next)
    }

    /// Forgets every deadline (the connection closed). A timer still scheduled finds nothing.
    mutating func removeAll() {
        self.queue.removeAll()
        self.scheduledAt = .max
    }
}
