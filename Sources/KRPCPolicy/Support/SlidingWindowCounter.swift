/// Two counters summed over a sliding time window, kept in a fixed ring of buckets.
///
/// The window is `bucketWidth × bucketCount` long and slides one bucket at a time, so a total covers between
/// `bucketCount - 1` and `bucketCount` bucket widths of history. Time is an explicit input. Bucket `i` holds the
/// events whose instant falls in `[origin + i·width, origin + (i+1)·width)`, where `origin` is the first instant
/// seen. An event older than the oldest bucket still in the ring (an out-of-order report from a racing thread) is
/// dropped rather than allowed to corrupt a newer bucket.
struct SlidingWindowCounter: Sendable, Hashable {
    private struct Bucket: Sendable, Hashable {
        var index: Int
        var first: Int
        var second: Int
    }

    let bucketWidth: Duration
    private var origin: ContinuousClock.Instant?
    private var buckets: [Bucket]

    /// Creates an empty window of `bucketCount` buckets covering `window` in total (both clamped to sane minima).
    init(window: Duration, bucketCount: Int) {
        let count = max(1, bucketCount)
        let width = window / count
        self.bucketWidth = width > .zero ? width : .nanoseconds(1)
        self.buckets = Array(repeating: Bucket(index: .min, first: 0, second: 0), count: count)
    }

    /// The total length of history the window covers.
    var window: Duration { self.bucketWidth * self.buckets.count }

    /// Adds to both counters at `now`.
    mutating func add(first: Int = 0, second: Int = 0, now: ContinuousClock.Instant) {
        if self.origin == nil { self.origin = now }
        let index = self.bucketIndex(now)
        let slot = Self.slot(index, self.buckets.count)
        let stored = self.buckets[slot].index
        if stored == index {
            self.buckets[slot].first += first
            self.buckets[slot].second += second
        } else if stored < index {
            self.buckets[slot] = Bucket(index: index, first: first, second: second)
        }
        // stored > index: the event belongs to a bucket that has already been recycled; drop it.
    }

    /// The sums of both counters over the buckets still inside the window at `now`.
    func totals(now: ContinuousClock.Instant) -> (first: Int, second: Int) {
        guard self.origin != nil else { return (0, 0) }
        let newest = self.bucketIndex(now)
        let oldest = newest - self.buckets.count + 1
        var first = 0
        var second = 0
        for bucket in self.buckets where bucket.index >= oldest && bucket.index <= newest {
            first += bucket.first
            second += bucket.second
        }
        return (first, second)
    }

    /// Forgets all history.
    mutating func reset() {
        for slot in self.buckets.indices {
            self.buckets[slot] = Bucket(index: .min, first: 0, second: 0)
        }
    }

    private func bucketIndex(_ now: ContinuousClock.Instant) -> Int {
        guard let origin = self.origin else { return 0 }
        let ratio = (now - origin) / self.bucketWidth
        guard ratio.isFinite else { return 0 }
        // Clamp far beyond any real uptime so the Int conversion can never trap.
        return Int(max(-1e15, min(1e15, ratio.rounded(.down))))
    }

    private static func slot(_ index: Int, _ count: Int) -> Int {
        let remainder = index % count
        return remainder < 0 ? remainder + count : remainder
    }
}
