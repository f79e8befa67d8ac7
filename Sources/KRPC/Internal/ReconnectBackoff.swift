/// Exponential backoff between reconnection attempts of a ``NodeConnection``.
///
/// The first attempt after a drop is immediate; each failed attempt multiplies the wait by
/// `multiplier` up to `maximum`, then randomises it by ±`jitter` (a fraction).
struct ReconnectBackoff {
    var initial: Duration
    var maximum: Duration
    var multiplier: Double
    var jitter: Double
    private var next: Duration?

    init(initial: Duration, maximum: Duration, multiplier: Double, jitter: Double) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(0, jitter), 1)
    }

    /// The wait before the next attempt, after a failed one.
    mutating func nextDelay(using generator: inout some RandomNumberGenerator) -> Duration {
        let base = self.next ?? self.initial
        let grown = base * self.multiplier
        self.next = grown > self.maximum ? self.maximum : grown
        let capped = base > self.maximum ? self.maximum : base
        guard self.jitter > 0 else { return capped }
        let factor = Double.random(in: (1 - self.jitter)...(1 + self.jitter), using: &generator)
        return capped * factor
    }

    /// Back to the first delay, after a successful connection.
    mutating func reset() {
        self.next = nil
    }
}
