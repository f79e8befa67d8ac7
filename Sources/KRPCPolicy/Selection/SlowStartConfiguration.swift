/// How a rejoining node's share of traffic ramps up (see ``SlowStart``).
public struct SlowStartConfiguration: Sendable, Hashable {
    /// How long the ramp lasts; zero disables slow start. Default 3 s.
    public var window: Duration
    /// The traffic factor at the start of the ramp, in `(0, 1]`. Default 0.1.
    public var initialFactor: Double

    /// Creates a configuration; every field has a default.
    public init(window: Duration = .seconds(3), initialFactor: Double = 0.1) {
        self.window = window
        self.initialFactor = initialFactor
    }

    /// Checks every field.
    /// - Throws: ``PolicyConfigurationError`` naming `SlowStartConfiguration.window` or `.initialFactor`.
    public func validate() throws {
        try Check.nonNegative(self.window, "SlowStartConfiguration.window")
        guard self.initialFactor.isFinite, self.initialFactor > 0, self.initialFactor <= 1 else {
            throw PolicyConfigurationError(
                field: "SlowStartConfiguration.initialFactor",
                message: "must be within (0, 1] (got \(self.initialFactor))"
            )
        }
    }
}
