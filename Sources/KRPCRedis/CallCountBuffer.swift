import KRPC
import KRPCPolicy

/// The in-memory side of ``RedisCallCounter``: this server's cumulative counts per slot, what Redis has
/// confirmed holding of them, and what was dropped. A value type driven by events, kept behind the
/// counter's lock.
///
/// Flushes carry **totals, not increments**: each batch says "this instance has counted `n` calls of this
/// slot so far", and the flush script (``FlushScript``) adds to the shared hash only what Redis does not yet
/// hold from this instance (it keeps each instance's contribution beside its batch marker). So a batch sent
/// twice, two flushes crossing, or a batch re-sent after its reply was lost change nothing, and after Redis
/// restarts from an older snapshot the next flush of a slot re-applies exactly what Redis lost of it.
///
/// Counts are kept per slot (service, method, node) for the life of the counter, so memory grows with the
/// number of distinct slots, not with calls: an outage of any length loses nothing. At most
/// `maxTrackedSlots` distinct slots are counted; past that bound, calls to *new* slots are dropped and
/// counted in ``droppedCalls``/``droppedErrors`` (a server counts only the methods it serves, so its slots
/// are few).
///
/// Every script call carries a fresh sequence number and the highest one Redis has confirmed so far; a
/// marker found below that means Redis lost flushes it had confirmed (a restore from an older snapshot,
/// an append-only file that lost its tail, a flushed database): every slot is then sent again
/// (``rollbacks``), and the script re-applies whatever each one is short.
struct CallCountBuffer: Sendable {
    /// What one slot counts.
    struct Slot: Hashable, Sendable {
        var key: ServiceKey
        var node: NodeAddress
    }

    /// Counts of one slot.
    struct Counts: Hashable, Sendable {
        var calls: Int = 0
        var errors: Int = 0
    }

    /// One flush unit: the totals of up to `maxEntriesPerBatch` slots, sent as one script call. A batch
    /// without entries only checks the marker (and keeps it from expiring).
    struct Batch: Hashable, Sendable {
        var sequence: Int
        /// The highest sequence number Redis had confirmed when the batch was made: a marker below it
        /// means Redis lost flushes.
        var confirmedSequence: Int
        var entries: [(slot: Slot, totals: Counts)]

        /// One total of the flush: entry `entry`'s calls (or errors when `isErrors`) are `total` so far.
        struct Operation: Hashable, Sendable {
            var entry: Int
            var isErrors: Bool
            var total: Int
        }

        /// The totals, in the order the flush script applies them: per entry its calls, then its errors
        /// when there are any. The script's reply lists values in this order.
        var operations: [Operation] {
            var operations: [Operation] = []
            operations.reserveCapacity(self.entries.count * 2)
            for (index, entry) in self.entries.enumerated() {
                if entry.totals.calls > 0 {
                    operations.append(Operation(entry: index, isErrors: false, total: entry.totals.calls))
                }
                if entry.totals.errors > 0 {
                    operations.append(Operation(entry: index, isErrors: true, total: entry.totals.errors))
                }
            }
            return operations
        }

        static func == (lhs: Batch, rhs: Batch) -> Bool {
            lhs.sequence == rhs.sequence && lhs.confirmedSequence == rhs.confirmedSequence
                && lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.sequence)
            hasher.combine(self.entries.count)
        }
    }

    /// What the flush script reported for one batch that it ran.
    struct Applied: Hashable, Sendable {
        /// The sequence number the marker held before the script (0: no marker).
        var markerBefore: Int
        /// Per operation (``Batch/operations`` order), the total Redis held from this instance before.
        var previous: [Int]
        /// Operations whose increment Redis refused (the hash or its field holds something that is not
        /// a count); their counts are lost.
        var refused: [Int]
    }

    /// How Redis answered one batch.
    enum BatchOutcome: Hashable, Sendable {
        /// The script ran.
        case applied(Applied)
        /// The script did not run (an error reply: OOM, READONLY, BUSY…): nothing changed, send again.
        case notApplied
    }

    /// What confirming one batch found.
    struct Confirmation: Hashable, Sendable {
        /// Redis's marker was behind: it lost flushes; every slot will be sent again.
        var rollback = false
        /// Counts Redis had lost and this batch put back.
        var restored = Counts()
    }

    let maxTrackedSlots: Int
    let maxEntriesPerBatch: Int
    /// Every count recorded, per slot, since the counter started.
    private(set) var totals: [Slot: Counts] = [:]
    /// Per slot, the totals Redis has confirmed holding.
    private(set) var confirmed: [Slot: Counts] = [:]
    /// Slots whose totals Redis may not hold yet.
    private(set) var dirty: Set<Slot> = []
    private(set) var nextSequence = 1
    private(set) var confirmedSequence = 0
    private(set) var recorded = Counts()
    private var confirmedSum = Counts()
    private(set) var droppedCalls = 0
    private(set) var droppedErrors = 0
    private(set) var rejectedCalls = 0
    private(set) var rejectedErrors = 0
    private(set) var restoredCalls = 0
    private(set) var restoredErrors = 0
    /// How many times Redis was found to have lost flushes.
    private(set) var rollbacks = 0

    init(maxTrackedSlots: Int, maxEntriesPerBatch: Int) {
        self.maxTrackedSlots = max(maxTrackedSlots, 1)
        self.maxEntriesPerBatch = max(maxEntriesPerBatch, 1)
    }

    /// Counts one call (and one error when `failed`).
    /// - Returns: `false` when it was dropped because the bound on slots is reached.
    @discardableResult
    mutating func record(_ slot: Slot, failed: Bool) -> Bool {
        self.record(slot, calls: 1, errors: failed ? 1 : 0)
    }

    /// Counts `calls` calls, `errors` of which failed (negative amounts count as 0).
    /// - Returns: `false` when they were dropped because the bound on slots is reached.
    @discardableResult
    mutating func record(_ slot: Slot, calls: Int, errors: Int) -> Bool {
        let calls = max(calls, 0)
        let errors = max(errors, 0)
        guard calls > 0 || errors > 0 else { return true }
        if let index = self.totals.index(forKey: slot) {
            self.totals.values[index].calls += calls
            self.totals.values[index].errors += errors
        } else {
            guard self.totals.count < self.maxTrackedSlots else {
                self.droppedCalls += calls
                self.droppedErrors += errors
                return false
            }
            self.totals[slot] = Counts(calls: calls, errors: errors)
        }
        self.recorded.calls += calls
        self.recorded.errors += errors
        self.dirty.insert(slot)
        return true
    }

    /// The batches to send now: the current totals of every slot Redis may not hold yet, each script call
    /// with a new sequence number. Empty when Redis holds everything. Slots stay to be sent until a reply
    /// confirms them, so a failed flush is simply retried by the next.
    mutating func batchesToSend() -> [Batch] {
        guard !self.dirty.isEmpty else { return [] }
        // Sorted so that batches are deterministic (tests, and the order fields appear in Redis).
        let slots = self.dirty.sorted { ($0.key, $0.node) < ($1.key, $1.node) }
        var batches: [Batch] = []
        var start = 0
        while start < slots.count {
            let end = min(start + self.maxEntriesPerBatch, slots.count)
            let entries = slots[start..<end].map { (slot: $0, totals: self.totals[$0] ?? Counts()) }
            batches.append(self.nextBatch(entries))
            start = end
        }
        return batches
    }

    /// A batch with no counts: checks the marker (a rollback is found without waiting for a call) and
    /// keeps it from expiring.
    mutating func markerCheck() -> Batch {
        self.nextBatch([])
    }

    private mutating func nextBatch(_ entries: [(slot: Slot, totals: Counts)]) -> Batch {
        defer { self.nextSequence += 1 }
        return Batch(sequence: self.nextSequence, confirmedSequence: self.confirmedSequence, entries: entries)
    }

    /// Records how Redis answered `batch`. Any order and any repetition is fine: totals only grow.
    @discardableResult
    mutating func confirm(_ batch: Batch, _ outcome: BatchOutcome) -> Confirmation {
        guard case .applied(let applied) = outcome else { return Confirmation() }
        var confirmation = Confirmation()
        if applied.markerBefore < batch.confirmedSequence {
            confirmation.rollback = true
            self.rollbacks += 1
            self.dirty.formUnion(self.totals.keys)
        }
        self.confirmedSequence = max(self.confirmedSequence, batch.sequence)
        let refused = Set(applied.refused)
        for (index, operation) in batch.operations.enumerated() {
            let slot = batch.entries[operation.entry].slot
            let before = self.confirmed[slot, default: Counts()]
            let had = operation.isErrors ? before.errors : before.calls
            let newly = max(operation.total - had, 0)
            let redisHad = applied.previous.indices.contains(index) ? applied.previous[index] : had
            if refused.contains(index) {
                if operation.isErrors { self.rejectedErrors += newly } else { self.rejectedCalls += newly }
            } else if redisHad < had {
                // Redis held less of this slot than it had confirmed: the script put the difference back.
                let restored = had - redisHad
                if operation.isErrors {
                    confirmation.restored.errors += restored
                    self.restoredErrors += restored
                } else {
                    confirmation.restored.calls += restored
                    self.restoredCalls += restored
                }
            }
            if operation.isErrors {
                self.confirmed[slot, default: Counts()].errors = had + newly
                self.confirmedSum.errors += newly
            } else {
                self.confirmed[slot, default: Counts()].calls = had + newly
                self.confirmedSum.calls += newly
            }
        }
        if !confirmation.rollback {
            for entry in batch.entries where self.confirmed[entry.slot] == self.totals[entry.slot] {
                self.dirty.remove(entry.slot)
            }
        }
        return confirmation
    }

    /// Calls and errors Redis has not confirmed yet.
    var waiting: Counts {
        Counts(
            calls: self.recorded.calls - self.confirmedSum.calls,
            errors: self.recorded.errors - self.confirmedSum.errors
        )
    }

    /// Counts Redis confirmed and kept (refused ones excluded).
    var flushedCalls: Int { self.confirmedSum.calls - self.rejectedCalls }
    var flushedErrors: Int { self.confirmedSum.errors - self.rejectedErrors }

    /// Whether Redis holds everything recorded.
    var isDrained: Bool { self.dirty.isEmpty }
}
