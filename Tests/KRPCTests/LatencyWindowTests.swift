import Histogram
@testable import KRPC
import Testing

@Suite("LatencyWindow")
struct LatencyWindowTests {
    @Test("p50 and p99 read in one walk are the library's valueAtPercentile(50) and (99), whatever the shape")
    func onePassPercentiles() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // xorshift: a fixed sequence of shapes
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return seed
        }
        for round in 0..<200 {
            var histogram = Histogram<UInt32>(
                lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
            let samples = 1 + Int(next() % (round < 20 ? 3 : 5000))  // a few single-sample and tiny windows too
            for _ in 0..<samples {
                // Mostly fast, some slow, a few very slow: the shape a node's latency has.
                let kind = next() % 100
                let value = kind < 90 ? 50 + next() % 2000 : kind < 99 ? 5000 + next() % 200_000 : next() % 120_000_000
                _ = histogram.record(Swift.max(1, value))
            }
            let (p50, p99) = LatencyWindow.p50p99(histogram)
            #expect(p50 == histogram.valueAtPercentile(50), "round \(round), \(samples) samples")
            #expect(p99 == histogram.valueAtPercentile(99), "round \(round), \(samples) samples")
        }
    }

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
