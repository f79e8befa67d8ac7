import Testing

@testable import KRPCRedis

@Suite("RecentlyWarned: each value warned about once, memory bounded")
struct RecentlyWarnedTests {
    @Test("a value is new once; a repeat is not")
    func once() {
        var warned = RecentlyWarned<String>(capacity: 3)
        #expect(RecentlyWarnedTests.insert("explode", into: &warned))
        #expect(!RecentlyWarnedTests.insert("explode", into: &warned))
        #expect(RecentlyWarnedTests.insert("error-rate:1.5", into: &warned))
        #expect(!RecentlyWarnedTests.insert("explode", into: &warned))
        #expect(warned.count == 2)
    }

    @Test("10,000 distinct values keep only the newest `capacity`; the oldest, forgotten, is new again")
    func bounded() {
        var warned = RecentlyWarned<Int>(capacity: 64)
        var fresh = 0
        for value in 0..<10_000 where warned.insert(value) { fresh += 1 }
        #expect(fresh == 10_000)
        #expect(warned.count == 64)
        // The newest 64 are remembered, in ring order.
        var repeated = 0
        for value in 9_936..<10_000 where !warned.insert(value) { repeated += 1 }
        #expect(repeated == 64)
        #expect(RecentlyWarnedTests.insert(0, into: &warned))
        #expect(warned.count == 64)
        // Inserting 0 forgot the oldest remembered value, 9,936.
        #expect(RecentlyWarnedTests.insert(9_936, into: &warned))
        #expect(!RecentlyWarnedTests.insert(9_999, into: &warned))
    }

    /// `insert`, outside `#expect` (a macro argument cannot mutate).
    private static func insert<V>(_ value: V, into warned: inout RecentlyWarned<V>) -> Bool { warned.insert(value) }
}
