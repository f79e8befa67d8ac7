/// A policy configuration value is out of range.
///
/// Thrown by the `validate()` method of every configuration in this module. ``field`` names the offending
/// field with its path from the validated type, for example `BreakerConfiguration.cooldown.multiplier`.
public struct PolicyConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The path of the invalid field, e.g. `BreakerConfiguration.failureThreshold`.
    public var field: String
    /// What is wrong with it, e.g. `must be at least 1 (got 0)`.
    public var message: String

    /// Creates an error for `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `invalid configuration: <field> <message>`.
    public var description: String {
        "invalid configuration: \(self.field) \(self.message)"
    }
}

/// Small checks shared by the `validate()` methods; each throws a ``PolicyConfigurationError`` naming `field`.
enum Check {
    static func atLeast(_ value: Int, _ minimum: Int, _ field: String) throws {
        guard value >= minimum else {
            throw PolicyConfigurationError(field: field, message: "must be at least \(minimum) (got \(value))")
        }
    }

    static func positive(_ value: Duration, _ field: String) throws {
        guard value > .zero else {
            throw PolicyConfigurationError(field: field, message: "must be positive (got \(value.compactDescription))")
        }
    }

    static func nonNegative(_ value: Duration, _ field: String) throws {
        guard value >= .zero else {
            throw PolicyConfigurationError(field: field, message: "must not be negative (got \(value))")
        }
    }

    static func within(_ value: Double, _ range: ClosedRange<Double>, _ field: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw PolicyConfigurationError(
                field: field,
                message: "must be within \(range.lowerBound)...\(range.upperBound) (got \(value))"
            )
        }
    }
}
