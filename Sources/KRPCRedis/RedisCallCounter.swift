public import KRPC
public import KRPCPolicy
public import Logging
import Synchronization

/// Counts the calls a server handles in Redis: `HINCRBY krpc:calls:<Service>.<Method> <host:port> n`, and
/// `krpc:errors:…` for failed calls (DESIGN.md "Contracts").
///
/// ``recordCall(_:node:failed:)`` only bumps an in-memory counter under a lock, so Redis is never on a
/// call's path (it may be called on an event loop). ``run()`` flushes the counts every
/// ``Configuration/flushInterval`` in one pipelined round trip. While Redis is down the counts keep
/// accumulating in memory (bounded by ``Configuration/maxPendingSlots``, see ``CallCountBuffer``) and are
/// flushed once it is back: an outage under the bound loses nothing. A flush whose reply is lost is sent
/// again unchanged, and a per-instance sequence number checked atomically by a Lua script
/// (``FlushScript``) makes Redis apply it once: no double counting, also when a pipeline partly ran.
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
/// - Important: Redis persistence is the operator's business: a Redis restarted without a snapshot or
///   append-only file starts from empty hashes, whatever this counter does.
public final class RedisCallCounter: CallCounterStore {
    /// Tuning of a ``RedisCallCounter``; every field has a default.
    public struct Configuration: Sendable, Hashable {
        /// How often pending counts are sent (at most 100 ms by the counting contract).
        public var flushInterval: Duration
        /// How many distinct (service, method, node) slots may wait in memory; past it, calls to new slots
        /// are dropped (and counted as dropped). Counts of slots already waiting are never dropped.
        public var maxPendingSlots: Int
        /// Slots per flush script call (a large flush is split into several, pipelined).
        public var maxEntriesPerBatch: Int
        /// How long ``run()`` keeps trying to flush what remains when it stops.
        public var shutdownFlushTimeout: Duration
        /// The shortest interval between two warnings about dropped or refused counts.
        public var warningInterval: Duration

        /// Creates a configuration; every field has a default.
        public init(
            flushInterval: Duration = .milliseconds(100),
            maxPendingSlots: Int = 100_000,
            maxEntriesPerBatch: Int = 500,
            shutdownFlushTimeout: Duration = .seconds(2),
            warningInterval: Duration = .seconds(10)
        ) {
            self.flushInterval = flushInterval
            self.maxPendingSlots = maxPendingSlots
            self.maxEntriesPerBatch = maxEntriesPerBatch
            self.shutdownFlushTimeout = shutdownFlushTimeout
            self.warningInterval = warningInterval
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
        /// Calls not counted because ``Configuration/maxPendingSlots`` was reached.
        public var droppedCalls: Int
        /// Errors not counted because ``Configuration/maxPendingSlots`` was reached.
        public var droppedErrors: Int
        /// Calls Redis refused to add (the hash or its field holds something that is not a count).
        public var refusedCalls: Int
        /// Errors Redis refused to add.
        public var refusedErrors: Int
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
    /// `krpc:flush:<random>`: this instance's marker key (see ``FlushScript``).
    private let marker: String

    /// Creates a counter; call ``run()`` to start flushing.
    public init(client: RedisClient, configuration: Configuration = Configuration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.buffer = Mutex(
            CallCountBuffer(
                maxPendingSlots: configuration.maxPendingSlots,
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
                refusedErrors: buffer.rejectedErrors
            )
        }
    }

    /// Flushes every ``Configuration/flushInterval`` until the task is cancelled or
    /// ``beginGracefulShutdown()`` is called, then tries for up to ``Configuration/shutdownFlushTimeout``
    /// to flush what remains (logging what could not be).
    public func run() async {
        while !Task.isCancelled && !self.stopRequested.withLock({ $0 }) {
            do {
                try await Task.sleep(for: self.configuration.flushInterval)
            } catch {
                break
            }
            await self.flushLogging()
        }
        // Not in this (maybe cancelled) task: a cancelled task's commands would never be sent.
        await Task { await self.drain() }.value
    }

    /// Makes ``run()`` flush what remains and return.
    public func beginGracefulShutdown() {
        self.stopRequested.withLock { $0 = true }
    }

    /// Sends everything waiting now, in one pipelined round trip.
    /// - Throws: ``RedisError`` when Redis could not be reached; the counts stay waiting (and are sent again
    ///   later, applied once).
    public func flush() async throws(RedisError) {
        let batches = self.buffer.withLock { $0.batchesToSend() }
        guard !batches.isEmpty else { return }
        let replies = try await self.client.pipeline(batches.map { FlushScript.command(for: $0, marker: self.marker) })
        var refusals: [(CallCountBuffer.Batch, FlushScript.Refusal)] = []
        var notApplied: [RedisValue] = []
        self.buffer.withLock { buffer in
            for (batch, reply) in zip(batches, replies) {
                let (outcome, refused) = FlushScript.outcome(of: reply)
                buffer.confirm(sequence: batch.sequence, outcome)
                refusals += refused.map { (batch, $0) }
                if outcome == .notApplied { notApplied.append(reply) }
            }
        }
        for (batch, refusal) in refusals {
            guard batch.operations.indices.contains(refusal.operation) else { continue }
            let operation = batch.operations[refusal.operation]
            let slot = batch.entries[operation.entry].slot
            self.logger.warning(
                "redis refused a count; it is lost",
                metadata: [
                    "redis.key": "\(operation.isErrors ? RedisKeys.errors(slot.key) : RedisKeys.calls(slot.key))",
                    "redis.field": "\(slot.node)", "krpc.count": "\(operation.amount)",
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

    private func flushLogging() async {
        do throws(RedisError) {
            try await self.flush()
        } catch {
            // The client logs the connection going down once; this is the per-attempt detail.
            self.logger.debug("count flush failed; counts kept in memory", metadata: ["redis.error": "\(error)"])
            self.warnAboutDrops()
        }
    }

    /// Flushes until nothing waits or the shutdown timeout passes.
    private func drain() async {
        let deadline = ContinuousClock.now + self.configuration.shutdownFlushTimeout
        while !self.buffer.withLock({ $0.isDrained }) && ContinuousClock.now < deadline {
            await self.flushLogging()
            if self.buffer.withLock({ $0.isDrained }) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let statistics = self.statistics
        if statistics.waitingCalls > 0 || statistics.waitingErrors > 0 {
            self.logger.warning(
                "redis unreachable at shutdown: counts not flushed are lost",
                metadata: [
                    "krpc.lost_calls": "\(statistics.waitingCalls)", "krpc.lost_errors": "\(statistics.waitingErrors)",
                ]
            )
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
                "call counts dropped: too many distinct counters waiting for redis",
                metadata: [
                    "krpc.dropped_calls": "\(dropped)", "krpc.dropped_errors": "\(droppedErrors)",
                    "krpc.max_pending_slots": "\(self.configuration.maxPendingSlots)",
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
