/// The wait between reconnect attempts: starts at `initial`, doubles after each failed attempt up to
/// `maximum`, with ±`jitter` (a fraction) so that many servers do not reconnect in lock step.
struct ReconnectBackoff: Sendable, Hashable {
    let initial: Duration
    let maximum: Duration
    let jitter: Double
    private var current: Duration

    init(initial: Duration, maximum: Duration, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = max(maximum, initial)
        self.jitter = min(max(jitter, 0), 1)
        self.current = initial
    }

    /// The wait before the next attempt; the one after it will be twice as long (capped).
    mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        let base = self.current
        self.current = min(self.current * 2, self.maximum)
        guard self.jitter > 0 else { return base }
        let factor = Double.random(in: (1 - self.jitter)...(1 + self.jitter), using: &generator)
        return base * factor
    }

    /// Back to `initial`, after a successful connection.
    mutating func reset() {
        self.current = self.initial
    }
}
