public import KRPC
public import KRPCPolicy
public import Logging
import Dispatch
import Synchronization

/// Counts the calls a server handles in Redis: `HINCRBY krpc:calls:<Service>.<Method> <host:port> n`, and
/// `krpc:errors:…` for failed calls (DESIGN.md "Contracts").
///
/// ``recordCall(_:node:failed:)`` only bumps an in-memory counter under a lock, so Redis is never on a
/// call's path (it may be called on an event loop). ``run()`` flushes the counts every
/// ``Configuration/flushInterval`` in one pipelined round trip. While Redis is down the counts keep
/// accumulating in memory (one entry per slot, bounded by ``Configuration/maxTrackedSlots``, see
/// ``CallCountBuffer``) and are flushed once it is back: an outage loses nothing. Flushes carry this
/// instance's totals and a Lua script (``FlushScript``) adds only what Redis does not hold from this
/// instance yet: a flush whose reply was lost and is sent again counts once, and when Redis comes back
/// from an older snapshot (its per-instance marker behind what it had confirmed) the counter sends all
/// its totals again and Redis gets back exactly the counts it lost.
///
/// ```swift
/// let counter = RedisCallCounter(client: client, logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await counter.run() }          // flushes until cancelled, then flushes the rest
///     group.addTask { await counter.logTotals(of: [login], every: .seconds(10)) }   // "Current login request count: N"
///     let server = KRPCServer(…, counters: counter)
///     …
/// }
/// ```
///
/// - Important: Redis persistence is the operator's business. A Redis restarted without persistence starts
///   from empty hashes: a running counter puts back its own totals, but those of servers that are gone
///   are lost.
public final class RedisCallCounter: CallCounterStore {
    /// Tuning of a ``RedisCallCounter``; every field has a default.
    public struct Configuration: Sendable, Hashable {
        /// How often pending counts are sent (at most 100 ms by the counting contract).
        public var flushInterval: Duration
        /// How many distinct (service, method, node) slots the counter keeps totals of (for its life: the
        /// totals are what it re-applies after Redis loses counts); past it, calls to new slots are dropped
        /// (and counted as dropped). Calls to slots already counted are never dropped.
        public var maxTrackedSlots: Int
        /// Slots per flush script call (a large flush is split into several, pipelined).
        public var maxEntriesPerBatch: Int
        /// How long ``run()`` keeps trying to flush what remains when it stops.
        public var shutdownFlushTimeout: Duration
        /// The shortest interval between two warnings about dropped or refused counts.
        public var warningInterval: Duration
        /// How often an idle counter (nothing to flush) checks its marker in Redis: how soon it notices that
        /// Redis lost counts without waiting for a call, and what keeps the marker from expiring.
        public var markerCheckInterval: Duration

        /// Creates a configuration; every field has a default.
        public init(
            flushInterval: Duration = .milliseconds(100),
            maxTrackedSlots: Int = 100_000,
            maxEntriesPerBatch: Int = 500,
            shutdownFlushTimeout: Duration = .seconds(2),
            warningInterval: Duration = .seconds(10),
            markerCheckInterval: Duration = .seconds(1)
        ) {
            self.flushInterval = flushInterval
            self.maxTrackedSlots = maxTrackedSlots
            self.maxEntriesPerBatch = maxEntriesPerBatch
            self.shutdownFlushTimeout = shutdownFlushTimeout
            self.warningInterval = warningInterval
            self.markerCheckInterval = markerCheckInterval
        }
    }

    /// What the counter has done so far, for logs, tests and the server's own metrics.
    public struct Statistics: Sendable, Hashable {
        /// Calls counted in memory and not yet confirmed by Redis.
        public var waitingCalls: Int
        /// Errors counted in memory and not yet confirmed by Redis.
        public var waitingErrors: Int
        /// Calls Redis has confirmed.
        public var flushedCalls: Int
        /// Errors Redis has confirmed.
        public var flushedErrors: Int
        /// Calls not counted because ``Configuration/maxTrackedSlots`` was reached.
        public var droppedCalls: Int
        /// Errors not counted because ``Configuration/maxTrackedSlots`` was reached.
        public var droppedErrors: Int
        /// Calls Redis refused to add (the hash or its field holds something that is not a count).
        public var refusedCalls: Int
        /// Errors Redis refused to add.
        public var refusedErrors: Int
        /// Calls Redis had confirmed, then lost (restored from an older snapshot), and got back.
        public var restoredCalls: Int
        /// Errors Redis had confirmed, then lost, and got back.
        public var restoredErrors: Int
        /// How many times Redis was found to have lost flushes it had confirmed.
        public var rollbacks: Int
    }

    /// Why the last flush did not bring Redis up to date: for the shutdown message.
    private enum FlushProblem: Sendable {
        case unreachable(RedisError)
        case refused(RedisValue)
    }

    private struct Warnings {
        var lastDropWarning: ContinuousClock.Instant?
        var droppedAtLastWarning = 0
        var lastFlushWarning: ContinuousClock.Instant?
    }

    /// The client the counts go through (shared with others is fine).
    public let client: RedisClient
    /// Flush interval, bound and timeouts.
    public let configuration: Configuration
    private let logger: Logger
    private let buffer: Mutex<CallCountBuffer>
    private let warnings = Mutex(Warnings())
    private let stopRequested = Mutex(false)
    private let lastProblem = Mutex<FlushProblem?>(nil)
    /// When Redis was last asked anything (for ``Configuration/markerCheckInterval``).
    private let lastContact = Mutex(ContinuousClock.now)
    /// `krpc:flush:<random>`: this instance's marker key (see ``FlushScript``).
    let marker: String

    /// Creates a counter; call ``run()`` to start flushing.
    public init(client: RedisClient, configuration: Configuration = Configuration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.buffer = Mutex(
            CallCountBuffer(
                maxTrackedSlots: configuration.maxTrackedSlots,
                maxEntriesPerBatch: configuration.maxEntriesPerBatch
            )
        )
        var generator = SystemRandomNumberGenerator()
        let id = String(generator.next() as UInt64, radix: 16)
        self.marker = RedisKeys.flushMarkerPrefix + id
    }

    /// Counts one handled call of `key` on `node`, and one error when `failed`. Never blocks on Redis.
    public func recordCall(_ key: ServiceKey, node: NodeAddress, failed: Bool) {
        self.buffer.withLock { _ = $0.record(CallCountBuffer.Slot(key: key, node: node), failed: failed) }
    }

    /// Counts `calls` handled calls of `key` on `node`, `errors` of which failed, at once: for callers that
    /// aggregate on their own hot path (one atomic add per call) and hand over the totals. Never blocks on Redis.
    public func recordCalls(_ key: ServiceKey, node: NodeAddress, calls: Int, errors: Int) {
        self.buffer.withLock {
            _ = $0.record(CallCountBuffer.Slot(key: key, node: node), calls: calls, errors: errors)
        }
    }

    /// What has been counted, flushed and dropped so far.
    public var statistics: Statistics {
        self.buffer.withLock { buffer in
            let waiting = buffer.waiting
            return Statistics(
                waitingCalls: waiting.calls,
                waitingErrors: waiting.errors,
                flushedCalls: buffer.flushedCalls,
                flushedErrors: buffer.flushedErrors,
                droppedCalls: buffer.droppedCalls,
                droppedErrors: buffer.droppedErrors,
                refusedCalls: buffer.rejectedCalls,
                refusedErrors: buffer.rejectedErrors,
                restoredCalls: buffer.restoredCalls,
                restoredErrors: buffer.restoredErrors,
                rollbacks: buffer.rollbacks
            )
        }
    }

    /// Flushes every ``Configuration/flushInterval`` (and checks the marker every
    /// ``Configuration/markerCheckInterval`` when there is nothing to flush) until the task is cancelled or
    /// ``beginGracefulShutdown()`` is called, then tries for up to ``Configuration/shutdownFlushTimeout``
    /// to flush what remains (logging what could not be, and why).
    public func run() async {
        while !Task.isCancelled && !self.stopRequested.withLock({ $0 }) {
            do {
                try await Task.sleep(for: self.configuration.flushInterval)
            } catch {
                break
            }
            do throws(RedisError) {
                try await self.flushOrCheckMarker()
            } catch {
                self.logFlushFailure(error)
            }
        }
        // Still in this task even when it was cancelled: the drain's commands ignore cancellation and its
        // pauses are not cancellable sleeps, both bounded by the shutdown timeout.
        await self.drain()
    }

    /// Makes ``run()`` flush what remains and return.
    public func beginGracefulShutdown() {
        self.stopRequested.withLock { $0 = true }
    }

    /// Sends everything waiting now, in one pipelined round trip.
    /// - Throws: ``RedisError`` when Redis could not be reached; the counts stay waiting (and are sent again
    ///   later, applied once).
    public func flush() async throws(RedisError) {
        try await self.flush(checkingMarker: false, honoringCancellation: true)
    }

    /// What ``run()`` does every ``Configuration/flushInterval``, for callers with a loop of their own:
    /// sends what waits, or, when Redis has not been asked anything for
    /// ``Configuration/markerCheckInterval``, checks the marker (so that counts Redis lost are put back
    /// without waiting for a call).
    /// - Throws: ``RedisError`` when Redis could not be reached; the counts stay waiting.
    public func flushOrCheckMarker() async throws(RedisError) {
        let idle = ContinuousClock.now - self.lastContact.withLock { $0 }
        try await self.flush(checkingMarker: idle >= self.configuration.markerCheckInterval, honoringCancellation: true)
    }

    /// Sends everything waiting, or only a marker check when nothing waits and `checkingMarker`.
    private func flush(checkingMarker: Bool, honoringCancellation: Bool) async throws(RedisError) {
        let batches = self.buffer.withLock { buffer in
            let batches = buffer.batchesToSend()
            return batches.isEmpty && checkingMarker ? [buffer.markerCheck()] : batches
        }
        guard !batches.isEmpty else { return }
        self.lastContact.withLock { $0 = .now }
        let commands = batches.map { FlushScript.command(for: $0, marker: self.marker) }
        let replies: [RedisValue]
        do {
            replies = try await self.client.pipeline(commands, honoringCancellation: honoringCancellation)
        } catch {
            self.lastProblem.withLock { $0 = .unreachable(error) }
            throw error
        }
        var refusals: [(CallCountBuffer.Batch, FlushScript.Refusal)] = []
        var notApplied: [RedisValue] = []
        var rollback = false
        var restored = CallCountBuffer.Counts()
        let (markerBefore, confirmedBefore) = self.buffer.withLock { buffer in
            var markerBefore: Int?
            let confirmedBefore = buffer.confirmedSequence
            for (batch, reply) in zip(batches, replies) {
                let (outcome, refused) = FlushScript.outcome(of: reply)
                let confirmation = buffer.confirm(batch, outcome)
                if confirmation.rollback {
                    rollback = true
                    if case .applied(let applied) = outcome { markerBefore = markerBefore ?? applied.markerBefore }
                }
                restored.calls += confirmation.restored.calls
                restored.errors += confirmation.restored.errors
                refusals += refused.map { (batch, $0) }
                if outcome == .notApplied { notApplied.append(reply) }
            }
            return (markerBefore, confirmedBefore)
        }
        self.lastProblem.withLock { $0 = notApplied.first.map { .refused($0) } }
        if rollback {
            self.logger.warning(
                "redis lost call counts it had confirmed (restored from an older snapshot?); resending the totals",
                metadata: [
                    "redis.marker": "\(self.marker)", "redis.marker_sequence": "\(markerBefore ?? 0)",
                    "krpc.confirmed_sequence": "\(confirmedBefore)",
                ]
            )
        }
        if restored.calls > 0 || restored.errors > 0 {
            self.logger.warning(
                "re-applied call counts redis had lost",
                metadata: ["krpc.restored_calls": "\(restored.calls)", "krpc.restored_errors": "\(restored.errors)"]
            )
        }
        for (batch, refusal) in refusals {
            guard batch.operations.indices.contains(refusal.operation) else { continue }
            let operation = batch.operations[refusal.operation]
            let slot = batch.entries[operation.entry].slot
            self.logger.warning(
                "redis refused a count; it is lost",
                metadata: [
                    "redis.key": "\(operation.isErrors ? RedisKeys.errors(slot.key) : RedisKeys.calls(slot.key))",
                    "redis.field": "\(slot.node)", "krpc.count_total": "\(operation.total)",
                    "redis.error": "\(refusal.error)",
                ]
            )
        }
        if let reply = notApplied.first {
            self.warnAtMostEvery(
                "redis did not apply a count flush; it will be sent again",
                metadata: ["redis.reply": "\(reply)"]
            )
        }
        self.warnAboutDrops()
    }

    /// The cluster-wide totals of `key` as Redis has them now (every server's flushed counts).
    /// - Throws: ``RedisError`` when Redis cannot be read.
    public func clusterTotals(of key: ServiceKey) async throws(RedisError) -> CallTotals {
        try await CallTotals.read(key, from: self.client)
    }

    /// Logs the cluster-wide call count of each of `keys` every `interval`, as the seed's server does:
    /// `Current login request count: 23` (info). Runs until the task is cancelled; a failed read is
    /// logged at debug and retried at the next tick.
    public func logTotals(of keys: [ServiceKey], every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            for key in keys {
                do throws(RedisError) {
                    let totals = try await self.clusterTotals(of: key)
                    self.logger.info(
                        "Current \(key.method.lowercased()) request count: \(totals.calls)",
                        metadata: [
                            "krpc.service": "\(key.service)", "krpc.method": "\(key.method)",
                            "krpc.calls": "\(totals.calls)", "krpc.errors": "\(totals.errors)",
                        ]
                    )
                } catch {
                    self.logger.debug(
                        "cannot read the cluster-wide count",
                        metadata: ["krpc.key": "\(key)", "redis.error": "\(error)"]
                    )
                }
            }
        }
    }

    private func logFlushFailure(_ error: RedisError) {
        // The client logs the connection going down once; this is the per-attempt detail.
        self.logger.debug("count flush failed; counts kept in memory", metadata: ["redis.error": "\(error)"])
        self.warnAboutDrops()
    }

    /// Flushes until Redis holds everything or the shutdown timeout passes; says what was lost and why.
    private func drain() async {
        let deadline = ContinuousClock.now + self.configuration.shutdownFlushTimeout
        // Until Redis has answered once, even when nothing waits: counts it lost since the last flush (a
        // restart from an older snapshot just now) are found and put back. So a Redis that is down makes
        // the drain last the whole timeout, although nothing may be waiting.
        var answered = false
        while ContinuousClock.now < deadline {
            do throws(RedisError) {
                try await self.flush(checkingMarker: !answered, honoringCancellation: false)
                answered = true
            } catch {
                self.logFlushFailure(error)
            }
            if answered && self.buffer.withLock({ $0.isDrained }) { break }
            await Self.pause(.milliseconds(20))
        }
        let (drained, waiting) = self.buffer.withLock { ($0.isDrained, $0.waiting) }
        if drained && !answered {
            self.logger.info(
                "redis unreachable at shutdown: nothing was waiting, but counts redis may have lost are not checked",
                metadata: ["redis.error": "\(self.lastProblem.withLock { $0 }.map { "\($0)" } ?? "none")"]
            )
        }
        guard !drained else { return }
        var metadata: Logger.Metadata = [
            "krpc.lost_calls": "\(waiting.calls)", "krpc.lost_errors": "\(waiting.errors)",
            "krpc.shutdown_timeout": "\(self.configuration.shutdownFlushTimeout)",
        ]
        switch self.lastProblem.withLock({ $0 }) {
        case .unreachable(let error):
            metadata["redis.error"] = "\(error)"
            self.logger.warning("redis unreachable at shutdown: counts not flushed are lost", metadata: metadata)
        case .refused(let reply):
            metadata["redis.reply"] = "\(reply)"
            self.logger.warning(
                "redis refused the last count flush at shutdown: counts not flushed are lost",
                metadata: metadata
            )
        case nil:
            self.logger.warning("counts still unflushed when the shutdown timeout passed are lost", metadata: metadata)
        }
    }

    /// Waits `duration` without observing cancellation (the drain runs in a task that may be cancelled and
    /// must still pace its retries): a continuation resumed by a timer on a Dispatch queue.
    private static func pause(_ duration: Duration) async {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
                continuation.resume()
            }
        }
    }

    /// Logs a warning when calls were dropped since the last warning, at most once per warning interval.
    private func warnAboutDrops() {
        let (dropped, droppedErrors) = self.buffer.withLock { ($0.droppedCalls, $0.droppedErrors) }
        let now = ContinuousClock.now
        let shouldWarn = self.warnings.withLock { warnings in
            guard dropped > warnings.droppedAtLastWarning else { return false }
            if let last = warnings.lastDropWarning, now - last < self.configuration.warningInterval { return false }
            warnings.lastDropWarning = now
            warnings.droppedAtLastWarning = dropped
            return true
        }
        if shouldWarn {
            self.logger.warning(
                "call counts dropped: too many distinct (service, method, node) counters",
                metadata: [
                    "krpc.dropped_calls": "\(dropped)", "krpc.dropped_errors": "\(droppedErrors)",
                    "krpc.max_tracked_slots": "\(self.configuration.maxTrackedSlots)",
                ]
            )
        }
    }

    private func warnAtMostEvery(_ message: Logger.Message, metadata: Logger.Metadata) {
        let now = ContinuousClock.now
        let shouldWarn = self.warnings.withLock { warnings in
            if let last = warnings.lastFlushWarning, now - last < self.configuration.warningInterval { return false }
            warnings.lastFlushWarning = now
            return true
        }
        if shouldWarn { self.logger.warning(message, metadata: metadata) }
    }
}
