import Histogram
import Testing

@testable import KRPCTopCore

/// ``RollingWindow/summarize(_:into:)`` reads every percentile in one pass: it must give what the histogram's own
/// `valueAtPercentile` gives, whatever the distribution.
@Suite struct RollingWindowSummaryTests {
    @Test("one pass gives valueAtPercentile's p50, p90, p99, p99.9, and the bars add up to the count")
    func sameAsValueAtPercentile() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            // xorshift64*: deterministic, so a failure reproduces.
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        for (trial, size) in [1, 2, 7, 100, 1_000, 20_000].enumerated() {
            var histogram = Histogram<UInt32>(
                lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
            for _ in 0..<size {
                // Mostly fast calls, a long tail, a few huge: spread over many histogram buckets.
                let r = next()
                let value: UInt64 = switch r % 10 {
                case 0..<7: 50 + r % 500
                case 7, 8: 1_000 + r % 200_000
                default: 1 + r % 120_000_000
                }
                _ = histogram.record(value)
            }
            var figures = WindowFigures(length: .seconds(10), span: .seconds(10))
            RollingWindow.summarize(histogram, into: &figures)
            #expect(figures.p50Microseconds == Int(histogram.valueAtPercentile(50)), "trial \(trial)")
            #expect(figures.p90Microseconds == Int(histogram.valueAtPercentile(90)), "trial \(trial)")
            #expect(figures.p99Microseconds == Int(histogram.valueAtPercentile(99)), "trial \(trial)")
            #expect(figures.p999Microseconds == Int(histogram.valueAtPercentile(99.9)), "trial \(trial)")
            #expect(figures.maxMicroseconds == Int(histogram.max), "trial \(trial)")
            #expect(figures.latencyBins.reduce(0) { $0 + $1.count } == size, "trial \(trial)")
        }
    }
}
