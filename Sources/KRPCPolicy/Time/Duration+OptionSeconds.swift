extension Duration {
    /// The longest duration an option given in seconds may ask for: a year.
    public static let longestOptionSeconds: Double = 31_536_000

    /// `seconds` as a duration when it is a finite number in `0...maximum` (default a year), else `nil`.
    ///
    /// For durations a user types in seconds: `Duration.seconds(Double)` and `Int64(seconds * 1000)` trap on
    /// a huge value (`--grace-period 1e30`), where the user must get a message instead.
    public init?(optionSeconds seconds: Double, maximum: Double = Duration.longestOptionSeconds) {
        guard seconds.isFinite, seconds >= 0, seconds <= maximum else { return nil }
        self = .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
