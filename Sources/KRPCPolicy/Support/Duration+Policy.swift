// Integer-nanosecond helpers: scaling a `Duration` by a `Double` through `Duration.seconds(Double)` would
// leave binary-fraction noise in the attoseconds (0.4 s != 400 ms), which breaks exact comparisons in
// tests at jitter 0. Rounding to whole nanoseconds keeps products like 200 ms × 2 exact.

extension Duration {
    /// The duration in whole nanoseconds (truncated), saturating at `Int64.max` / `Int64.min`.
    var policyNanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }

    /// The duration in seconds as a `Double` (for rates and ratios, never for exact arithmetic).
    var policySeconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// This duration multiplied by `factor`, rounded to the nearest nanosecond and clamped to `0...limit`.
    func policyScaled(by factor: Double, limit: Duration) -> Duration {
        let limitNanos = limit.policyNanoseconds
        let product = Double(self.policyNanoseconds) * factor
        guard product.isFinite, product > 0 else { return .zero }
        if product >= Double(limitNanos) { return limit }
        return .nanoseconds(Int64(product.rounded()))
    }

    /// A compact human form for reasons and logs: `10s`, `200ms`, `1500µs`, `7ns`.
    var compactDescription: String {
        let nanos = self.policyNanoseconds
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        if nanos % 1_000 == 0 { return "\(nanos / 1_000)µs" }
        return "\(nanos)ns"
    }
}
