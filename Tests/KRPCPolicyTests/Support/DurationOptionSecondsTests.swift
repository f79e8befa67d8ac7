import KRPCPolicy
import Testing

@Suite("Duration(optionSeconds:): seconds typed by a user")
struct DurationOptionSecondsTests {
    @Test("0 to a year convert, to the nanosecond")
    func converts() {
        #expect(Duration(optionSeconds: 0) == .zero)
        #expect(Duration(optionSeconds: 1.5) == .milliseconds(1500))
        #expect(Duration(optionSeconds: 0.000_000_001) == .nanoseconds(1))
        #expect(Duration(optionSeconds: Duration.longestOptionSeconds) == .seconds(31_536_000))
    }

    @Test("anything else is nil, not a trap", arguments: [-1, 31_536_000.5, 1e30, .infinity, -.infinity, .nan])
    func rejects(seconds: Double) {
        #expect(Duration(optionSeconds: seconds) == nil)
    }
}
