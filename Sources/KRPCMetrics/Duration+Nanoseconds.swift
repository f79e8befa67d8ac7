extension Duration {
    /// Whole nanoseconds, for `Timer.recordNanoseconds` (wrapping past 292 years, which no call lasts).
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
