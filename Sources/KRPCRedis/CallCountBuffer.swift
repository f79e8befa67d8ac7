import KRPC
import KRPCPolicy

/// The in-memory side of ``RedisCallCounter``: counts waiting to be flushed, batches sent but not yet
/// confirmed, and what was dropped. A value type driven by events, kept behind the counter's lock.
///
/// Counts are aggregated per slot (service, method, node), so memory grows with the number of distinct
/// slots, not with the number of calls: an outage of any length loses nothing as long as no more than
/// `maxPendingSlots` distinct slots are waiting. Past that bound, calls to *new* slots are dropped and
/// counted in ``droppedCalls``/``droppedErrors``; calls to slots already waiting are still counted.
///
/// Batches carry consecutive sequence numbers and are re-sent, unchanged and in order, until Redis
/// confirms them; the flush script applies a sequence number at most once (see ``FlushScript``).
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

    /// One flush unit: increments for up to `maxEntriesPerBatch` slots, sent as one script call.
    struct Batch: Hashable, Sendable {
        var sequence: Int
        var entries: [(slot: Slot, counts: Counts)]

        /// One `HINCRBY` of the flush: entry `entry`'s calls (or errors when `isErrors`) by `amount`.
        struct Operation: Hashable, Sendable {
            var entry: Int
            var isErrors: Bool
            var amount: Int
        }

        /// The increments, in the order the flush script applies them: per entry its calls, then its
        /// errors when there are any. Rejections name an index into this list.
        var operations: [Operation] {
            var operations: [Operation] = []
            operations.reserveCapacity(self.entries.count * 2)
            for (index, entry) in self.entries.enumerated() {
                if entry.counts.calls > 0 {
                    operations.append(Operation(entry: index, isErrors: false, amount: entry.counts.calls))
                }
                if entry.counts.errors > 0 {
                    operations.append(Operation(entry: index, isErrors: true, amount: entry.counts.errors))
                }
            }
            return operations
        }

        var calls: Int { self.entries.reduce(0) { $0 + $1.counts.calls } }
        var errors: Int { self.entries.reduce(0) { $0 + $1.counts.errors } }

        static func == (lhs: Batch, rhs: Batch) -> Bool {
            lhs.sequence == rhs.sequence && lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.sequence)
            hasher.combine(self.entries.count)
        }
    }

    /// How Redis answered one batch.
    enum BatchOutcome: Hashable, Sendable {
        /// Applied now; the listed operations (indexes into ``Batch/operations``) were refused by Redis (e.g. the hash
        /// holds a non-integer value or the key is not a hash) and are lost.
        case applied(rejected: [Int])
        /// Applied by an earlier attempt whose reply was lost.
        case alreadyApplied
        /// Not applied (an earlier batch is missing, or the script was refused): send again later.
        case notApplied
    }

    let maxPendingSlots: Int
    let maxEntriesPerBatch: Int
    private(set) var pending: [Slot: Counts] = [:]
    private(set) var unconfirmed: [Batch] = []
    private(set) var nextSequence = 1
    private(set) var droppedCalls = 0
    private(set) var droppedErrors = 0
    private(set) var flushedCalls = 0
    private(set) var flushedErrors = 0
    private(set) var rejectedCalls = 0
    private(set) var rejectedErrors = 0

    init(maxPendingSlots: Int, maxEntriesPerBatch: Int) {
        self.maxPendingSlots = max(maxPendingSlots, 1)
        self.maxEntriesPerBatch = max(maxEntriesPerBatch, 1)
    }

    /// Counts one call (and one error when `failed`).
    /// - Returns: `false` when it was dropped because the bound on pending slots is reached.
    @discardableResult
    mutating func record(_ slot: Slot, failed: Bool) -> Bool {
        self.record(slot, calls: 1, errors: failed ? 1 : 0)
    }

    /// Counts `calls` calls, `errors` of which failed (negative amounts count as 0).
    /// - Returns: `false` when they were dropped because the bound on pending slots is reached.
    @discardableResult
    mutating func record(_ slot: Slot, calls: Int, errors: Int) -> Bool {
        let calls = max(calls, 0)
        let errors = max(errors, 0)
        if let index = self.pending.index(forKey: slot) {
            self.pending.values[index].calls += calls
            self.pending.values[index].errors += errors
            return true
        }
        guard calls > 0 || errors > 0 else { return true }
        guard self.pending.count < self.maxPendingSlots else {
            self.droppedCalls += calls
            self.droppedErrors += errors
            return false
        }
        self.pending[slot] = Counts(calls: calls, errors: errors)
        return true
    }

    /// The batches to send now: the unconfirmed ones if any (unchanged, in order), else new batches made
    /// from everything pending (which then becomes unconfirmed). Empty when there is nothing to flush.
    mutating func batchesToSend() -> [Batch] {
        if !self.unconfirmed.isEmpty { return self.unconfirmed }
        guard !self.pending.isEmpty else { return [] }
        // Sorted so that batches are deterministic (tests, and the order fields appear in Redis).
        let entries = self.pending.sorted { ($0.key.key, $0.key.node) < ($1.key.key, $1.key.node) }
        self.pending.removeAll(keepingCapacity: true)
        var start = 0
        while start < entries.count {
            let end = min(start + self.maxEntriesPerBatch, entries.count)
            self.unconfirmed.append(
                Batch(
                    sequence: self.nextSequence, entries: entries[start..<end].map { (slot: $0.key, counts: $0.value) })
            )
            self.nextSequence += 1
            start = end
        }
        return self.unconfirmed
    }

    /// Records how Redis answered the batch with `sequence`. Idempotent: a batch already confirmed
    /// (by a concurrent flush) is ignored.
    mutating func confirm(sequence: Int, _ outcome: BatchOutcome) {
        guard let index = self.unconfirmed.firstIndex(where: { $0.sequence == sequence }) else { return }
        switch outcome {
        case .notApplied:
            return
        case .alreadyApplied:
            let batch = self.unconfirmed.remove(at: index)
            self.flushedCalls += batch.calls
            self.flushedErrors += batch.errors
        case .applied(let rejected):
            let batch = self.unconfirmed.remove(at: index)
            var calls = batch.calls
            var errors = batch.errors
            for rejection in Set(rejected) {
                guard batch.operations.indices.contains(rejection) else { continue }
                let operation = batch.operations[rejection]
                if operation.isErrors {
                    errors -= operation.amount
                    self.rejectedErrors += operation.amount
                } else {
                    calls -= operation.amount
                    self.rejectedCalls += operation.amount
                }
            }
            self.flushedCalls += calls
            self.flushedErrors += errors
        }
    }

    /// Calls and errors waiting (pending or unconfirmed).
    var waiting: Counts {
        var counts = Counts()
        for value in self.pending.values {
            counts.calls += value.calls
            counts.errors += value.errors
        }
        for batch in self.unconfirmed {
            counts.calls += batch.calls
            counts.errors += batch.errors
        }
        return counts
    }

    /// Whether nothing waits to be flushed.
    var isDrained: Bool { self.pending.isEmpty && self.unconfirmed.isEmpty }
}
