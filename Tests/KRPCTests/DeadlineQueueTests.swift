@testable import KRPC
import Testing

@Suite("DeadlineQueue")
struct DeadlineQueueTests {
    @Test("pops in deadline order")
    func order() {
        var queue = DeadlineQueue()
        var generator = SplitMix64(seed: 42)
        let deadlines = (0..<500).map { _ in UInt64.random(in: 0..<1_000_000, using: &generator) }
        for (id, deadline) in deadlines.enumerated() { queue.push(deadline: deadline, id: UInt64(id)) }
        var popped: [UInt64] = []
        while let entry = queue.pop() { popped.append(entry.deadline) }
        #expect(popped == deadlines.sorted())
    }

    @Test("compaction keeps exactly the live entries, in order")
    func compaction() {
        var queue = DeadlineQueue()
        for id in 0..<3000 { queue.push(deadline: UInt64(3000 - id), id: UInt64(id)) }
        let live: [DeadlineQueue.Entry] = [.init(deadline: 7, id: 1), .init(deadline: 3, id: 2), .init(deadline: 5, id: 3)]
        queue.compactIfNeeded(liveCount: 3) { live }
        #expect(queue.count == 3)
        #expect(queue.pop()?.id == 2)
        #expect(queue.pop()?.id == 3)
        #expect(queue.pop()?.id == 1)
        #expect(queue.pop() == nil)
    }

    @Test("no compaction while stale entries are few")
    func noEarlyCompaction() {
        var queue = DeadlineQueue()
        for id in 0..<100 { queue.push(deadline: UInt64(id), id: UInt64(id)) }
        queue.compactIfNeeded(liveCount: 10) {
            Issue.record("compacted too early")
            return []
        }
        #expect(queue.count == 100)
    }
}

@Suite("KRPCError")
struct KRPCErrorTests {
    @Test(
        "codes keep their wire value and name",
        arguments: [
            (KRPCError.Code.ok, 0, "ok"), (.cancelled, 1, "cancelled"), (.invalidRequest, 3, "invalid request"),
            (.deadlineExceeded, 4, "deadline exceeded"), (.unknownService, 5, "unknown service"),
            (.unknownMethod, 6, "unknown method"), (.overloaded, 8, "overloaded"), (.internal, 13, "internal"),
            (.unavailable, 14, "unavailable"), (.protocolError, 15, "protocol error"), (.frameTooLarge, 16, "frame too large"),
            (KRPCError.Code(rawValue: 99), 99, "code(99)"),
        ]
    )
    func codes(code: KRPCError.Code, raw: Int32, name: String) {
        #expect(code.rawValue == raw)
        #expect(code.description == name)
        #expect(KRPCError.Code(rawValue: raw) == code)
    }

    @Test("described as code: \"message\" (cause: …)")
    func description() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        #expect("\(KRPCError(code: .unavailable, message: "gone"))" == "unavailable: \"gone\"")
        #expect("\(KRPCError(code: .internal, message: "x", cause: Boom()))" == "internal: \"x\" (cause: boom)")
    }
}

/// A seeded generator (swift-argument-parser's Examples/roll/SplitMix64.swift).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
