import KRPC
import KRPCPolicy
import Testing

@testable import KRPCRedis

@Suite("Call count buffer (pure)")
struct CallCountBufferTests {
    let login = ServiceKey(service: "UserServiceRpc", method: "Login")
    let a = NodeAddress(host: "127.0.0.1", port: 8000)
    let b = NodeAddress(host: "127.0.0.1", port: 9000)
    let c = NodeAddress(host: "127.0.0.1", port: 10000)

    func slot(_ node: NodeAddress) -> CallCountBuffer.Slot { .init(key: self.login, node: node) }

    @Test("calls aggregate per slot and become one batch with consecutive sequence numbers")
    func aggregates() {
        var buffer = CallCountBuffer(maxPendingSlots: 10, maxEntriesPerBatch: 10)
        for i in 0..<5 { buffer.record(self.slot(self.a), failed: i == 0) }
        buffer.record(self.slot(self.b), failed: false)
        #expect(buffer.waiting == .init(calls: 6, errors: 1))

        let first = buffer.batchesToSend()
        #expect(first.map(\.sequence) == [1])
        #expect(first[0].entries.map(\.slot.node) == [self.a, self.b])
        #expect(first[0].entries.map(\.counts) == [.init(calls: 5, errors: 1), .init(calls: 1, errors: 0)])
        // Increments: a's calls, a's errors, b's calls (b has no errors: no HINCRBY by 0).
        #expect(
            first[0].operations == [
                .init(entry: 0, isErrors: false, amount: 5), .init(entry: 0, isErrors: true, amount: 1),
                .init(entry: 1, isErrors: false, amount: 1),
            ]
        )
        buffer.confirm(sequence: 1, .applied(rejected: []))
        #expect(buffer.isDrained)
        #expect(buffer.flushedCalls == 6 && buffer.flushedErrors == 1)

        buffer.record(self.slot(self.c), failed: false)
        #expect(buffer.batchesToSend().map(\.sequence) == [2])
    }

    @Test("totals recorded at once count like as many single calls; past the bound they are dropped whole")
    func recordsTotals() {
        var buffer = CallCountBuffer(maxPendingSlots: 1, maxEntriesPerBatch: 10)
        let recorded = [
            buffer.record(self.slot(self.a), calls: 40, errors: 3),
            buffer.record(self.slot(self.a), failed: true),
            buffer.record(self.slot(self.b), calls: 0, errors: 0),  // nothing to count: no slot taken
            buffer.record(self.slot(self.b), calls: 5, errors: 1),
        ]
        #expect(recorded == [true, true, true, false])
        #expect(buffer.waiting == .init(calls: 41, errors: 4))
        #expect(buffer.droppedCalls == 5 && buffer.droppedErrors == 1)
        #expect(buffer.batchesToSend()[0].entries.map(\.counts) == [.init(calls: 41, errors: 4)])
    }

    @Test("an unconfirmed batch is sent again unchanged; new calls wait for the next batch")
    func resendsUnchanged() {
        var buffer = CallCountBuffer(maxPendingSlots: 10, maxEntriesPerBatch: 10)
        buffer.record(self.slot(self.a), failed: false)
        let sent = buffer.batchesToSend()
        buffer.record(self.slot(self.a), failed: true)  // arrives while the flush is in flight
        buffer.confirm(sequence: 1, .notApplied)
        #expect(buffer.batchesToSend() == sent)
        #expect(buffer.waiting == .init(calls: 2, errors: 1))

        buffer.confirm(sequence: 1, .alreadyApplied)  // the first attempt had run; its reply was lost
        buffer.confirm(sequence: 1, .applied(rejected: []))  // a late duplicate confirmation: ignored
        #expect(buffer.flushedCalls == 1)
        let next = buffer.batchesToSend()
        #expect(next.map(\.sequence) == [2])
        #expect(next[0].entries.map(\.counts) == [.init(calls: 1, errors: 1)])
    }

    @Test("past the bound, calls to new slots are dropped and counted; waiting slots still count")
    func bounded() {
        var buffer = CallCountBuffer(maxPendingSlots: 2, maxEntriesPerBatch: 10)
        let accepted = [
            buffer.record(self.slot(self.a), failed: false), buffer.record(self.slot(self.b), failed: false),
            buffer.record(self.slot(self.c), failed: true), buffer.record(self.slot(self.c), failed: false),
        ]
        #expect(accepted == [true, true, false, false])
        var more = 0
        for _ in 0..<1000 where buffer.record(self.slot(self.a), failed: false) { more += 1 }
        #expect(more == 1000)
        #expect(buffer.droppedCalls == 2 && buffer.droppedErrors == 1)
        #expect(buffer.pending.count == 2)
        #expect(buffer.waiting.calls == 1002)
        // Once flushed out of pending, there is room again.
        _ = buffer.batchesToSend()
        let roomAgain = buffer.record(self.slot(self.c), failed: false)
        #expect(roomAgain)
    }

    @Test("a large flush is split into batches of at most maxEntriesPerBatch, in order")
    func splits() {
        var buffer = CallCountBuffer(maxPendingSlots: 100, maxEntriesPerBatch: 2)
        for port in 1...5 { buffer.record(self.slot(NodeAddress(host: "h", port: port)), failed: false) }
        let batches = buffer.batchesToSend()
        #expect(batches.map(\.sequence) == [1, 2, 3])
        #expect(batches.map(\.entries.count) == [2, 2, 1])
        buffer.confirm(sequence: 1, .applied(rejected: []))
        buffer.confirm(sequence: 2, .notApplied)
        buffer.confirm(sequence: 3, .notApplied)
        #expect(buffer.batchesToSend().map(\.sequence) == [2, 3])
    }

    @Test("refused increments are subtracted from what was flushed and counted as refused")
    func refused() {
        var buffer = CallCountBuffer(maxPendingSlots: 10, maxEntriesPerBatch: 10)
        for _ in 0..<3 { buffer.record(self.slot(self.a), failed: true) }
        for _ in 0..<4 { buffer.record(self.slot(self.b), failed: false) }
        _ = buffer.batchesToSend()
        // operations: 0 = a calls (3), 1 = a errors (3), 2 = b calls (4); refuse a's errors and b's calls.
        buffer.confirm(sequence: 1, .applied(rejected: [1, 2, 99]))
        #expect(buffer.flushedCalls == 3 && buffer.flushedErrors == 0)
        #expect(buffer.rejectedCalls == 4 && buffer.rejectedErrors == 3)
    }

    @Test(
        "flush script replies map to outcomes",
        arguments: [
            (RedisValue.integer(-1), CallCountBuffer.BatchOutcome.alreadyApplied),
            (.integer(-2), .notApplied),
            (.array([]), .applied(rejected: [])),
            (
                .array([.integer(2), .bulkString("WRONGTYPE x"), .integer(1), .bulkString("ERR y")]),
                .applied(rejected: [1, 0])
            ),
            (.error("OOM command not allowed"), .notApplied),
            (.null, .notApplied),
        ]
    )
    func scriptOutcomes(reply: RedisValue, expected: CallCountBuffer.BatchOutcome) {
        #expect(FlushScript.outcome(of: reply).0 == expected)
    }
}
