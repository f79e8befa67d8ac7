import Histogram

/// Attempts over a sliding window of time, kept in time buckets the way Hystrix keeps its rolling counters:
/// each bucket holds the counts and an HDR histogram of the attempts that ended in its slice of time, and a read
/// merges the buckets still inside the window.
///
/// Pure and clock-free: every call takes the time as an offset from any fixed origin (krpc-top passes
/// `ContinuousClock.now - start`; tests pass virtual time). Recording is O(1) amortised: a bucket whose slice has
/// passed is reset in place when its slot is next written. Reading is cached until something changes (a new
/// attempt, or a bucket with data sliding out), so idle nodes of a large cluster cost nothing per refresh.
///
/// An attempt recorded at `t` counts until `t + length` at the latest: the window is exact to one bucket
/// (``length`` / ``bucketCount``), and errs on the side of forgetting sooner.
public struct RollingWindow: Sendable {
    /// How an attempt ended.
    public enum Outcome: Sendable, Hashable {
        /// Answered successfully.
        case success
        /// Answered with an error.
        case error
        /// No answer before the deadline.
        case timeout
    }

    /// The dashboard's default window (`--window 10`).
    public static let defaultLength = Duration.seconds(10)
    /// The window lengths `--window` accepts.
    public static let lengths: ClosedRange<Duration> = .milliseconds(100) ... .seconds(3600)

    private struct Bucket: Sendable {
        /// Which slice of time the bucket holds (`time / width`); `Int64.min` for never used.
        var index = Int64.min
        var calls = 0
        var errors = 0
        var timeouts = 0
        /// Made on the bucket's first latency, then reset and reused.
        var histogram: Histogram<UInt32>?
    }

    private struct CacheKey: Equatable {
        var version: UInt64
        var live: UInt64
        var span: Duration
    }

    /// The buckets before the current one, merged: they change only when the current bucket moves on (once per
    /// bucket width) or a late attempt lands in one of them, so a read (ten a second in krpc-top) merges just the
    /// current bucket into them instead of every bucket of the window.
    private struct Base {
        /// The current bucket's index when merged.
        var current: Int64
        /// ``RollingWindow/baseVersion`` when merged.
        var version: UInt64
        var calls = 0
        var errors = 0
        var timeouts = 0
        var histogram: Histogram<UInt32>?
    }

    /// The window's length.
    public let length: Duration
    /// How many buckets the window is cut into.
    public let bucketCount: Int
    private let widthNanoseconds: Int64
    private let startedAt: Duration
    private var buckets: [Bucket]
    /// Bumped by every record.
    private var version: UInt64 = 0
    private var cached: (key: CacheKey, figures: WindowFigures)?
    /// The current bucket's index at the last read: a record into an older bucket changes the merged base.
    private var readIndex = Int64.min
    /// Bumped by every record into a bucket older than ``readIndex`` and every bucket reused for a new slice.
    private var baseVersion: UInt64 = 0
    private var base: Base?

    /// Creates an empty window.
    /// - Parameters:
    ///   - length: The window's length (positive; clamped to ``lengths``).
    ///   - bucketCount: Buckets per window, 1...64 (default 10: one per second for a 10 s window).
    ///   - startedAt: When the window started collecting, on the time line of
    ///     ``record(_:latencyMicroseconds:at:)``;
    ///     the first seconds' rates are over the time since then.
    public init(length: Duration = Self.defaultLength, bucketCount: Int = 10, startedAt: Duration = .zero) {
        let length = min(max(length, Self.lengths.lowerBound), Self.lengths.upperBound)
        let count = min(max(bucketCount, 1), 64)
        self.length = length
        self.bucketCount = count
        self.widthNanoseconds = max(1, Self.nanoseconds(length) / Int64(count))
        self.startedAt = startedAt
        self.buckets = Array(repeating: Bucket(), count: count)
    }

    /// Counts one attempt that ended at `time`.
    /// - Parameters:
    ///   - outcome: How it ended.
    ///   - latencyMicroseconds: How long it took (`nil`: unknown, counted without latency).
    ///   - time: When it ended, as an offset from the window's origin. An attempt older than the window is dropped.
    public mutating func record(_ outcome: Outcome, latencyMicroseconds: Int?, at time: Duration) {
        let index = self.bucketIndex(time)
        let slot = Int(index.remainderReportingOverflow(dividingBy: Int64(self.bucketCount)).partialValue)
        let slotIndex = slot < 0 ? slot + self.bucketCount : slot
        if self.buckets[slotIndex].index != index {
            guard index > self.buckets[slotIndex].index else { return }  // older than what the slot holds: gone
            var histogram = self.buckets[slotIndex].histogram
            histogram?.reset()
            self.buckets[slotIndex] = Bucket(index: index, histogram: histogram)
            self.baseVersion &+= 1  // the bucket it replaces may be in the merged base
        }
        switch outcome {
        case .success: self.buckets[slotIndex].calls += 1
        case .error:
            self.buckets[slotIndex].calls += 1
            self.buckets[slotIndex].errors += 1
        case .timeout: self.buckets[slotIndex].timeouts += 1
        }
        if let latencyMicroseconds {
            if self.buckets[slotIndex].histogram == nil { self.buckets[slotIndex].histogram = Self.makeHistogram() }
            let value = UInt64(min(max(latencyMicroseconds, 1), Self.highestMicroseconds))
            _ = self.buckets[slotIndex].histogram?.record(value)
        }
        self.version &+= 1
        if index < self.readIndex { self.baseVersion &+= 1 }
    }

    /// The figures of the attempts that ended in the window ending at `time`.
    public mutating func figures(at time: Duration) -> WindowFigures {
        let current = self.bucketIndex(time)
        let oldest = current - Int64(self.bucketCount) + 1
        var live: UInt64 = 0
        for (slot, bucket) in self.buckets.enumerated()
        where bucket.index >= oldest && bucket.index <= current && bucket.calls + bucket.timeouts > 0 {
            live |= 1 << UInt64(slot)
        }
        let span = min(self.length, max(.zero, time - self.startedAt))
        let key = CacheKey(version: self.version, live: live, span: span)
        if let cached = self.cached, cached.key == key { return cached.figures }
        var figures = WindowFigures(length: self.length, span: span)
        self.readIndex = current
        let base = self.mergedBase(current: current, oldest: oldest)
        figures.calls = base.calls
        figures.errors = base.errors
        figures.timeouts = base.timeouts
        var merged = base.histogram
        for (slot, bucket) in self.buckets.enumerated()
        where bucket.index == current && live & (1 << UInt64(slot)) != 0 {
            figures.calls += bucket.calls
            figures.errors += bucket.errors
            figures.timeouts += bucket.timeouts
            if let histogram = bucket.histogram, histogram.totalCount > 0 {
                if merged == nil { merged = Self.makeHistogram() }
                merged?.add(histogram)
            }
        }
        if let merged, merged.totalCount > 0 {
            Self.summarize(merged, into: &figures)
        }
        self.cached = (key, figures)
        return figures
    }

    // MARK: Helpers

    /// The percentiles listed in ``WindowFigures`` (p50, p90, p99, p99.9), the maximum and the latency bins of
    /// `histogram`, in one pass over its recorded values: the same figures as `valueAtPercentile` (its rule:
    /// the first value whose cumulative count reaches `ceil(p⁻ × total / 100)`, p⁻ one ulp below p), which
    /// scans the whole histogram once per percentile. krpc-top computes a window's figures for every node ten
    /// times a second.
    static func summarize(_ histogram: Histogram<UInt32>, into figures: inout WindowFigures) {
        let total = histogram.totalCount
        let percentiles: [Double] = [50, 90, 99, 99.9]
        let targets = percentiles.map { p in Swift.max(1, UInt64((p.nextDown * Double(total) / 100).rounded(.up))) }
        var values = [UInt64](repeating: 0, count: percentiles.count)
        var found = 0
        let lowest = histogram.min
        let highest = histogram.maxRecorded
        var cumulative: UInt64 = 0
        var counts = Array(repeating: 0, count: WindowFigures.binBounds.count + 1)
        for step in histogram.recordedValues() {
            cumulative += UInt64(step.count)
            while found < targets.count && cumulative >= targets[found] {
                values[found] = Swift.max(Swift.min(step.value, highest), lowest)
                found += 1
            }
            // Each recorded value once, into the first bar whose bound it does not pass.
            let bin = WindowFigures.binBounds.firstIndex { step.value <= UInt64($0) } ?? counts.count - 1
            counts[bin] += Int(step.count)
        }
        figures.p50Microseconds = Int(values[0])
        figures.p90Microseconds = Int(values[1])
        figures.p99Microseconds = Int(values[2])
        figures.p999Microseconds = Int(values[3])
        figures.maxMicroseconds = Int(histogram.max)
        figures.latencyBins = counts.enumerated().map { i, count in
            .init(upperMicroseconds: i < WindowFigures.binBounds.count ? WindowFigures.binBounds[i] : nil, count: count)
        }
    }

    /// The live buckets before `current` (from `oldest`), merged; from the cache unless `current` moved or a late
    /// attempt landed in one of them.
    private mutating func mergedBase(current: Int64, oldest: Int64) -> Base {
        if let base = self.base, base.current == current, base.version == self.baseVersion { return base }
        var base = Base(current: current, version: self.baseVersion)
        for bucket in self.buckets where bucket.index >= oldest && bucket.index < current {
            base.calls += bucket.calls
            base.errors += bucket.errors
            base.timeouts += bucket.timeouts
            if let histogram = bucket.histogram, histogram.totalCount > 0 {
                if base.histogram == nil { base.histogram = Self.makeHistogram() }
                base.histogram?.add(histogram)
            }
        }
        self.base = base
        return base
    }

    /// Latencies above this (2 minutes) are counted as this.
    static let highestMicroseconds = 120_000_000

    private static func makeHistogram() -> Histogram<UInt32> {
        // 1 µs … 120 s at two significant digits: about 10 KB, percentiles within 1 %.
        Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: UInt64(Self.highestMicroseconds),
                          numberOfSignificantValueDigits: .two)
    }

    private func bucketIndex(_ time: Duration) -> Int64 {
        let nanos = Self.nanoseconds(time)
        // Floor division, so a negative offset (a time before the origin) still lands in the right slice.
        let q = nanos / self.widthNanoseconds
        return nanos % self.widthNanoseconds < 0 ? q - 1 : q
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, overflow) = d.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return d < .zero ? Int64.min / 2 : Int64.max / 2 }
        return seconds.addingReportingOverflow(d.components.attoseconds / 1_000_000_000).partialValue
    }
}
