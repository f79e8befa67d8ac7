/// What a ``RollingWindow`` holds now: the attempts that ended in the last ``length`` and their latency.
///
/// Every rate, error percentage and percentile the node table and the header show comes from one of these, so
/// a node that erred a minute ago and recovered reads like a healthy one once the window has slid past. A
/// window without attempts has `nil` percentiles and ``errorPercent``, shown as `-`.
public struct WindowFigures: Sendable, Hashable {
    /// One bar of the latency histogram: the attempts whose latency was at most ``upperMicroseconds``
    /// (and above the previous bar's bound); the last bar has no bound.
    public struct LatencyBin: Sendable, Hashable {
        /// The bar's upper bound in microseconds, inclusive; `nil` for the last, open-ended bar.
        public var upperMicroseconds: Int?
        /// Attempts in the bar.
        public var count: Int

        /// Creates a bar.
        public init(upperMicroseconds: Int?, count: Int) {
            self.upperMicroseconds = upperMicroseconds
            self.count = count
        }
    }

    /// The upper bounds of ``latencyBins`` in microseconds: 100 µs … 1 s in 1-3-10 steps, then one open bar.
    public static let binBounds: [Int] = [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000]

    /// The window's length (`--window`).
    public var length: Duration
    /// How much of the window has data behind it: ``length``, or less in the first seconds after start.
    public var span: Duration
    /// Attempts the node answered (success or error) in the window.
    public var calls: Int
    /// Of ``calls``, those answered with an error.
    public var errors: Int
    /// Attempts that got no answer before their deadline (not in ``calls``).
    public var timeouts: Int
    /// Percentiles and maximum of the latency of every attempt that ended in the window (answered or timed out),
    /// in microseconds; `nil` without attempts.
    public var p50Microseconds: Int?
    /// 90th percentile, µs.
    public var p90Microseconds: Int?
    /// 99th percentile, µs.
    public var p99Microseconds: Int?
    /// 99.9th percentile, µs.
    public var p999Microseconds: Int?
    /// The slowest attempt, µs.
    public var maxMicroseconds: Int?
    /// The latency distribution, one bar per bound of ``binBounds`` and one open bar (empty without attempts).
    public var latencyBins: [LatencyBin]

    /// Creates figures; everything but the length defaults to "no attempts".
    public init(
        length: Duration,
        span: Duration? = nil,
        calls: Int = 0,
        errors: Int = 0,
        timeouts: Int = 0,
        p50Microseconds: Int? = nil,
        p90Microseconds: Int? = nil,
        p99Microseconds: Int? = nil,
        p999Microseconds: Int? = nil,
        maxMicroseconds: Int? = nil,
        latencyBins: [LatencyBin] = []
    ) {
        self.length = length
        self.span = span ?? length
        self.calls = calls
        self.errors = errors
        self.timeouts = timeouts
        self.p50Microseconds = p50Microseconds
        self.p90Microseconds = p90Microseconds
        self.p99Microseconds = p99Microseconds
        self.p999Microseconds = p999Microseconds
        self.maxMicroseconds = maxMicroseconds
        self.latencyBins = latencyBins
    }

    /// No attempts in a window of the default length.
    public static let empty = WindowFigures(length: RollingWindow.defaultLength)

    /// Attempts that ended in the window: ``calls`` plus ``timeouts``.
    public var attempts: Int { self.calls + self.timeouts }

    /// Failed attempts in percent of the attempts that ended, `(errors + timeouts) / (calls + timeouts)`;
    /// `nil` without attempts.
    public var errorPercent: Double? {
        let ended = self.attempts
        return ended > 0 ? Double(self.errors + self.timeouts) * 100 / Double(ended) : nil
    }

    /// Attempts per second over ``span``; 0 without attempts.
    public var attemptsPerSecond: Double {
        let seconds = Double(self.span.components.seconds) + Double(self.span.components.attoseconds) / 1e18
        return seconds > 0 ? Double(self.attempts) / seconds : 0
    }
}

/// Counts since krpc-top started: kept while the node is away and when it rejoins at the same address.
/// Shown in the node detail and the JSON, never in the table's ERR%/P50/P99.
public struct NodeTotals: Sendable, Hashable {
    /// Attempts the node answered (success or error).
    public var calls: Int
    /// Of ``calls``, those answered with an error.
    public var errors: Int
    /// Attempts that got no answer before their deadline (not in ``calls``).
    public var timeouts: Int

    /// Creates totals.
    public init(calls: Int = 0, errors: Int = 0, timeouts: Int = 0) {
        self.calls = calls
        self.errors = errors
        self.timeouts = timeouts
    }

    /// `(errors + timeouts) / (calls + timeouts)` in percent; `nil` before any attempt ended.
    public var errorPercent: Double? {
        let ended = self.calls + self.timeouts
        return ended > 0 ? Double(self.errors + self.timeouts) * 100 / Double(ended) : nil
    }
}
