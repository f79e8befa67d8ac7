import KRPCPolicy
import KRPCTopCollect
import KRPCTopCore
import Testing

@Suite("failure log")
struct FailureLogTests {
    static let a = NodeAddress(host: "127.0.0.1", port: 8000)
    static let b = NodeAddress(host: "127.0.0.1", port: 9000)

    @Test("notes growth of a node's failure count with its last error; repeats of one message fold into a count")
    func notesFailures() {
        var log = FailureLog()
        // The first look: the failures since the channel listed the node.
        log.observe([(Self.a, 3, "internal 'old'"), (Self.b, 0, nil)], at: 100)
        #expect(log.failures(of: Self.a) == [NodeDetail.Failure(time: 100, message: "internal 'old'", count: 3)])
        log.observe([(Self.a, 5, "internal 'injected error'"), (Self.b, 0, nil)], at: 101)
        log.observe([(Self.a, 9, "internal 'injected error'"), (Self.b, 1, "deadline exceeded")], at: 102)
        log.observe([(Self.a, 9, "internal 'injected error'"), (Self.b, 1, "deadline exceeded")], at: 103)
        log.observe([(Self.a, 10, "unavailable 'connection refused'")], at: 104)
        #expect(log.failures(of: Self.a) == [
            NodeDetail.Failure(time: 104, message: "unavailable 'connection refused'", count: 1),
            NodeDetail.Failure(time: 102, message: "internal 'injected error'", count: 6),
            NodeDetail.Failure(time: 100, message: "internal 'old'", count: 3),
        ])
        #expect(log.failures(of: Self.b) == [NodeDetail.Failure(time: 102, message: "deadline exceeded", count: 1)])
    }

    @Test("keeps the newest entries only (FailureLog.limit)")
    func bounded() {
        var log = FailureLog()
        for i in 1...30 { log.observe([(Self.a, i, "error \(i)")], at: Double(i)) }
        let entries = log.failures(of: Self.a)
        #expect(entries.count == FailureLog.limit)
        #expect(entries.first?.message == "error 30")
        #expect(entries.last?.message == "error 11")
    }
}
