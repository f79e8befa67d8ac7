import KRPC
import KRPCPolicy
import Testing

@testable import KRPCRedis

@Suite("Call count buffer (pure)")
struct CallCountBufferTests {
    typealias Buffer = CallCountBuffer
    let login = ServiceKey(service: "UserServiceRpc", method: "Login")
    let a = NodeAddress(host: "127.0.0.1", port: 8000)
    let b = NodeAddress(host: "127.0.0.1", port: 9000)
    let c = NodeAddress(host: "127.0.0.1", port: 10000)

    func slot(_ node: NodeAddress) -> Buffer.Slot { .init(key: self.login, node: node) }

    /// What the script answers when Redis had `previous` of each operation and its marker at `marker`.
    func applied(marker: Int, previous: [Int], refused: [Int] = []) -> Buffer.BatchOutcome {
        .applied(.init(markerBefore: marker, previous: previous, refused: refused))
    }

    @Test("calls aggregate per slot; a batch carries each dirty slot's totals, with consecutive sequence numbers")
    func aggregates() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        for i in 0..<5 { buffer.record(self.slot(self.a), failed: i == 0) }
        buffer.record(self.slot(self.b), failed: false)
        #expect(buffer.waiting == .init(calls: 6, errors: 1))

        let first = buffer.batchesToSend()
        #expect(first.map(\.sequence) == [1])
        #expect(first[0].confirmedSequence == 0)
        #expect(first[0].entries.map(\.slot.node) == [self.a, self.b])
        // Totals: a's calls, a's errors, b's calls (b has no errors: nothing to say about them).
        #expect(
            first[0].operations == [
                .init(entry: 0, isErrors: false, total: 5), .init(entry: 0, isErrors: true, total: 1),
                .init(entry: 1, isErrors: false, total: 1),
            ]
        )
        buffer.confirm(first[0], self.applied(marker: 0, previous: [0, 0, 0]))
        #expect(buffer.isDrained)
        #expect(buffer.flushedCalls == 6 && buffer.flushedErrors == 1)
        #expect(buffer.batchesToSend().isEmpty)

        // Only the slot that changed is sent again, with its total (not the increment).
        buffer.record(self.slot(self.a), failed: false)
        let second = buffer.batchesToSend()
        #expect(second.map(\.sequence) == [2])
        #expect(second[0].confirmedSequence == 1)
        #expect(second[0].entries.map(\.slot.node) == [self.a])
        #expect(second[0].entries.map(\.totals) == [.init(calls: 6, errors: 1)])
    }

    @Test("totals recorded at once count like as many single calls; past the bound new slots are dropped whole")
    func recordsTotals() {
        var buffer = Buffer(maxTrackedSlots: 1, maxEntriesPerBatch: 10)
        let recorded = [
            buffer.record(self.slot(self.a), calls: 40, errors: 3),
            buffer.record(self.slot(self.a), failed: true),
            buffer.record(self.slot(self.b), calls: 0, errors: 0),  // nothing to count: no slot taken
            buffer.record(self.slot(self.b), calls: 5, errors: 1),
        ]
        #expect(recorded == [true, true, true, false])
        #expect(buffer.waiting == .init(calls: 41, errors: 4))
        #expect(buffer.droppedCalls == 5 && buffer.droppedErrors == 1)
        #expect(buffer.batchesToSend()[0].entries.map(\.totals) == [.init(calls: 41, errors: 4)])
    }

    @Test("a failed flush leaves the slots to send; calls that came meanwhile go in the next totals")
    func retriesWithNewTotals() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        buffer.record(self.slot(self.a), failed: false)
        let sent = buffer.batchesToSend()
        buffer.record(self.slot(self.a), failed: true)  // arrives while the flush is in flight
        buffer.confirm(sent[0], .notApplied)
        #expect(buffer.waiting == .init(calls: 2, errors: 1))
        let again = buffer.batchesToSend()
        #expect(again.map(\.sequence) == [2])
        #expect(again[0].entries.map(\.totals) == [.init(calls: 2, errors: 1)])

        // The first attempt had in fact run (its reply was lost): Redis had 1 of a's calls already.
        buffer.confirm(again[0], self.applied(marker: 1, previous: [1, 0]))
        #expect(buffer.isDrained)
        #expect(buffer.flushedCalls == 2 && buffer.flushedErrors == 1)
        #expect(buffer.restoredCalls == 0)
        // A late duplicate confirmation of the first batch changes nothing.
        buffer.confirm(sent[0], self.applied(marker: 2, previous: [2]))
        #expect(buffer.flushedCalls == 2 && buffer.isDrained)
    }

    @Test("a confirmation of a slot with older totals leaves the newer counts waiting")
    func olderTotalsKeepSlotDirty() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        buffer.record(self.slot(self.a), failed: false)
        let sent = buffer.batchesToSend()
        buffer.record(self.slot(self.a), failed: false)
        buffer.confirm(sent[0], self.applied(marker: 0, previous: [0]))
        #expect(!buffer.isDrained)
        #expect(buffer.waiting.calls == 1)
        #expect(buffer.batchesToSend()[0].entries.map(\.totals) == [.init(calls: 2, errors: 0)])
    }

    @Test("a marker behind what Redis confirmed: every slot is sent again and the lost counts are put back")
    func rollback() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        buffer.record(self.slot(self.a), calls: 500, errors: 0)
        buffer.record(self.slot(self.b), calls: 7, errors: 0)
        let first = buffer.batchesToSend()
        buffer.confirm(first[0], self.applied(marker: 0, previous: [0, 0]))  // seq 1: the snapshot has this
        buffer.record(self.slot(self.a), calls: 500, errors: 0)
        buffer.record(self.slot(self.b), calls: 3, errors: 0)
        let second = buffer.batchesToSend()
        buffer.confirm(second[0], self.applied(marker: 1, previous: [500, 7]))  // seq 2: lost with Redis
        #expect(buffer.isDrained && buffer.confirmedSequence == 2)

        // Redis restarts from the snapshot (marker 1, a holds 500, b 7); only a gets calls.
        buffer.record(self.slot(self.a), calls: 500, errors: 0)
        let third = buffer.batchesToSend()
        #expect(third[0].confirmedSequence == 2)
        #expect(third[0].entries.map(\.slot.node) == [self.a])
        let confirmation = buffer.confirm(third[0], self.applied(marker: 1, previous: [500]))
        #expect(confirmation.rollback)
        #expect(confirmation.restored == .init(calls: 500, errors: 0))
        #expect(buffer.rollbacks == 1)
        // Every slot is sent again: b's 3 lost calls are put back by the next flush.
        #expect(!buffer.isDrained)
        let resync = buffer.batchesToSend()
        #expect(resync[0].entries.map(\.slot.node) == [self.a, self.b])
        #expect(resync[0].entries.map(\.totals.calls) == [1500, 10])
        let resynced = buffer.confirm(resync[0], self.applied(marker: 3, previous: [1500, 7]))
        #expect(!resynced.rollback)
        #expect(resynced.restored == .init(calls: 3, errors: 0))
        #expect(buffer.isDrained)
        #expect(buffer.restoredCalls == 503)
        #expect(buffer.flushedCalls == 1510 && buffer.waiting.calls == 0)
    }

    @Test("a marker check carries no totals and finds a rollback of an idle counter")
    func markerCheck() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        buffer.record(self.slot(self.a), failed: false)
        let first = buffer.batchesToSend()
        buffer.confirm(first[0], self.applied(marker: 0, previous: [0]))
        let check = buffer.markerCheck()
        #expect(check.entries.isEmpty && check.operations.isEmpty)
        #expect(check.sequence == 2 && check.confirmedSequence == 1)
        // The marker is gone (Redis came back from a snapshot taken before the first flush).
        #expect(buffer.confirm(check, self.applied(marker: 0, previous: [])).rollback)
        #expect(buffer.batchesToSend()[0].entries.map(\.totals) == [.init(calls: 1, errors: 0)])
    }

    @Test("past the bound, calls to new slots are dropped and counted; counted slots still count")
    func bounded() {
        var buffer = Buffer(maxTrackedSlots: 2, maxEntriesPerBatch: 10)
        let accepted = [
            buffer.record(self.slot(self.a), failed: false), buffer.record(self.slot(self.b), failed: false),
            buffer.record(self.slot(self.c), failed: true), buffer.record(self.slot(self.c), failed: false),
        ]
        #expect(accepted == [true, true, false, false])
        var more = 0
        for _ in 0..<1000 where buffer.record(self.slot(self.a), failed: false) { more += 1 }
        #expect(more == 1000)
        #expect(buffer.droppedCalls == 2 && buffer.droppedErrors == 1)
        #expect(buffer.totals.count == 2)
        #expect(buffer.waiting.calls == 1002)
    }

    @Test("a large flush is split into batches of at most maxEntriesPerBatch, in order")
    func splits() {
        var buffer = Buffer(maxTrackedSlots: 100, maxEntriesPerBatch: 2)
        for port in 1...5 { buffer.record(self.slot(NodeAddress(host: "h", port: port)), failed: false) }
        let batches = buffer.batchesToSend()
        #expect(batches.map(\.sequence) == [1, 2, 3])
        #expect(batches.map(\.entries.count) == [2, 2, 1])
        buffer.confirm(batches[0], self.applied(marker: 0, previous: [0, 0]))
        buffer.confirm(batches[1], .notApplied)
        buffer.confirm(batches[2], .notApplied)
        let again = buffer.batchesToSend()
        #expect(again.map(\.sequence) == [4, 5])
        #expect(again.flatMap { $0.entries.map(\.slot.node.port) } == [3, 4, 5])
    }

    @Test("refused increments are subtracted from what was flushed and counted as refused")
    func refused() {
        var buffer = Buffer(maxTrackedSlots: 10, maxEntriesPerBatch: 10)
        for _ in 0..<3 { buffer.record(self.slot(self.a), failed: true) }
        for _ in 0..<4 { buffer.record(self.slot(self.b), failed: false) }
        let batch = buffer.batchesToSend()[0]
        // operations: 0 = a calls (3), 1 = a errors (3), 2 = b calls (4); refuse a's errors and b's calls.
        buffer.confirm(batch, self.applied(marker: 0, previous: [0, 0, 0], refused: [1, 2, 99]))
        #expect(buffer.flushedCalls == 3 && buffer.flushedErrors == 0)
        #expect(buffer.rejectedCalls == 4 && buffer.rejectedErrors == 3)
        #expect(buffer.isDrained)
    }

    @Test(
        "flush script replies map to outcomes",
        arguments: [
            (
                RedisValue.array([.integer(3), .array([]), .array([])]),
                Buffer.BatchOutcome.applied(.init(markerBefore: 3, previous: [], refused: []))
            ),
            (
                .array([
                    .integer(0), .array([.integer(5), .integer(0)]),
                    .array([.integer(2), .bulkString("WRONGTYPE x")]),
                ]),
                .applied(.init(markerBefore: 0, previous: [5, 0], refused: [1]))
            ),
            (.integer(-2), .notApplied),
            (.array([]), .notApplied),
            (.error("OOM command not allowed"), .notApplied),
            (.null, .notApplied),
        ]
    )
    func scriptOutcomes(reply: RedisValue, expected: Buffer.BatchOutcome) {
        #expect(FlushScript.outcome(of: reply).0 == expected)
    }
}
