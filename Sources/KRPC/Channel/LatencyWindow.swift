import Histogram

/// Recent latency of one node (or of the whole channel): per-second buckets for the last minute
/// (sparkline, rates) and an HDR histogram over a rotating window for percentiles.
///
/// The histogram window is `histogramWindow` long: percentiles come from the window being filled
/// when it has enough samples, else from the last complete one, so they track the present instead
/// of being pinned by the first minutes of a long run.
struct LatencyWindow: Sendable {
    private struct Second: Sendable {
        var index: Int64 = -1
        var count = 0
        var errors = 0
        var sumMicros: UInt64 = 0
    }

    private var seconds = [Second](repeating: Second(), count: 60)
    private var current: Histogram<UInt32>
    private var previous: Histogram<UInt32>?
    private var currentStartedAt: ContinuousClock.Instant
    private let histogramWindow: Duration
    private let origin: ContinuousClock.Instant
    /// The last percentiles computed and what they were computed from: reading percentiles walks the
    /// histogram's buckets (tens of µs), and a dashboard asks for every node at every refresh while most
    /// nodes of a large cluster got no new sample since the last one.
    private var cached: (key: SummaryKey, summary: LatencySummary)?

    private struct SummaryKey: Equatable {
        var startedAt: ContinuousClock.Instant
        var currentCount: UInt64
        var previousCount: UInt64?
    }

    init(now: ContinuousClock.Instant, origin: ContinuousClock.Instant, histogramWindow: Duration = .seconds(30)) {
        self.current = Self.makeHistogram()
        self.currentStartedAt = now
        self.histogramWindow = histogramWindow
        self.origin = origin
    }

    private static func makeHistogram() -> Histogram<UInt32> {
        // 1 µs … 120 s at two significant digits: a few KB, percentiles in microseconds.
        Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .two)
    }

    private func secondIndex(_ now: ContinuousClock.Instant) -> Int64 {
        (now - self.origin).components.seconds
    }

    /// Counts one attempt that ended at `now`; `latency` for successes.
    mutating func record(latency: Duration?, now: ContinuousClock.Instant) {
        let index = self.secondIndex(now)
        let slot = Int(index % 60)
        if self.seconds[slot].index != index { self.seconds[slot] = Second(index: index) }
        self.seconds[slot].count += 1
        if let latency {
            let micros = UInt64(max(1, min(120_000_000, latency.components.seconds * 1_000_000
                + latency.components.attoseconds / 1_000_000_000_000)))
            self.seconds[slot].sumMicros += micros
            self.rotateIfDue(now: now)
            _ = self.current.record(micros)
        } else {
            self.seconds[slot].errors += 1
        }
    }

    private mutating func rotateIfDue(now: ContinuousClock.Instant) {
        guard now - self.currentStartedAt >= self.histogramWindow else { return }
        self.previous = self.current
        self.current = Self.makeHistogram()
        self.currentStartedAt = now
    }

    /// p50/p99 of the recent window.
    mutating func summary(now: ContinuousClock.Instant) -> LatencySummary {
        if now - self.currentStartedAt >= self.histogramWindow * 2 {
            return .empty  // nothing recorded for two windows: no recent latency to show
        }
        let key = SummaryKey(
            startedAt: self.currentStartedAt,
            currentCount: self.current.totalCount,
            previousCount: self.previous?.totalCount
        )
        if let cached = self.cached, cached.key == key { return cached.summary }
        var source = self.current
        if source.totalCount < 20, let previous = self.previous, previous.totalCount > source.totalCount {
            source = previous
        }
        let summary: LatencySummary
        if source.totalCount > 0 {
            let (p50, p99) = Self.p50p99(source)
            summary = LatencySummary(count: Int(source.totalCount), p50Micros: Int(p50), p99Micros: Int(p99))
        } else {
            summary = .empty
        }
        self.cached = (key, summary)
        return summary
    }

    /// `valueAtPercentile(50)` and `(99)` in one walk of the recorded values. The library's `valueAtPercentile` is
    /// not inlinable, so it runs unspecialized (every bucket read through the generic count type): two calls cost
    /// more than the rest of a channel snapshot. The same rule as the library's: the highest value equivalent to
    /// the first bucket whose running count reaches the percentile's share, within the recorded range.
    static func p50p99(_ histogram: Histogram<UInt32>) -> (UInt64, UInt64) {
        let total = Double(histogram.totalCount)
        let targets = [50.0, 99.0].map { Swift.max(1, UInt64(($0.nextDown * total / 100).rounded(.up))) }
        var values: [UInt64] = [0, 0]
        var found = 0
        var cumulative: UInt64 = 0
        let (lowest, highest) = (histogram.min, histogram.maxRecorded)
        for step in histogram.recordedValues() {
            cumulative += UInt64(step.count)
            while found < targets.count && cumulative >= targets[found] {
                values[found] = Swift.max(Swift.min(step.value, highest), lowest)
                found += 1
            }
            if found == targets.count { break }
        }
        return (values[0], values[1])
    }

    /// Per-second (mean latency µs, attempts) of the last `count` complete seconds, oldest first.
    func perSecond(now: ContinuousClock.Instant, count: Int = 60) -> (latency: [Double], attempts: [Int]) {
        let last = self.secondIndex(now) - 1  // the current second is still filling
        var latency: [Double] = []
        var attempts: [Int] = []
        latency.reserveCapacity(count)
        attempts.reserveCapacity(count)
        for i in stride(from: last - Int64(count) + 1, through: last, by: 1) where i >= 0 {
            let s = self.seconds[Int(i % 60)]
            if s.index == i {
                let ok = s.count - s.errors
                latency.append(ok > 0 ? Double(s.sumMicros) / Double(ok) : 0)
                attempts.append(s.count)
            } else {
                latency.append(0)
                attempts.append(0)
            }
        }
        return (latency, attempts)
    }
}
