@testable import KRPC
import Testing

@Suite("LatencyWindow")
struct LatencyWindowTests {
    @Test("the percentiles follow new samples and the window's rotation, though they are cached between reads")
    func summaryFollowsSamples() {
        let origin = ContinuousClock.now
        var window = LatencyWindow(now: origin, origin: origin, histogramWindow: .seconds(30))
        #expect(window.summary(now: origin) == .empty)
        for _ in 0..<100 { window.record(latency: .microseconds(100), now: origin) }
        let first = window.summary(now: origin)
        #expect(first.count == 100)
        #expect((99...101).contains(first.p50Micros))
        #expect(window.summary(now: origin) == first)  // read again: the same (cached) answer
        for _ in 0..<300 { window.record(latency: .milliseconds(5), now: origin + .seconds(1)) }
        let second = window.summary(now: origin + .seconds(1))
        #expect(second.count == 400)
        #expect(second.p50Micros >= 4_900)
        // A new window starts: its first samples are too few, so the full previous window still answers.
        window.record(latency: .microseconds(10), now: origin + .seconds(31))
        #expect(window.summary(now: origin + .seconds(31)).count == 400)
        // Two windows without a sample: no recent latency.
        #expect(window.summary(now: origin + .seconds(95)) == .empty)
    }
}
