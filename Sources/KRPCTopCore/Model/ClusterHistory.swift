/// The cluster's figures over the last minutes, one sample per second, oldest first: what the services view's
/// graphs draw. A `nil` sample is a second without data.
public struct ClusterHistory: Sendable, Hashable {
    /// Samples kept: three minutes.
    public static let capacity = 180

    /// Calls per second, every method and client (Redis).
    public private(set) var callRate: [Double?] = []
    /// Errors in percent of the calls (Redis).
    public private(set) var errorPercent: [Double?] = []
    /// This client's p99 latency over its window, µs.
    public private(set) var p99Microseconds: [Int?] = []

    /// Creates an empty history.
    public init() {}

    /// Appends one second.
    public mutating func append(callRate: Double?, errorPercent: Double?, p99Microseconds: Int?) {
        Self.push(callRate, to: &self.callRate)
        Self.push(errorPercent, to: &self.errorPercent)
        Self.push(p99Microseconds, to: &self.p99Microseconds)
    }

    /// Seconds recorded (at most ``capacity``).
    public var count: Int { self.callRate.count }

    private static func push<T>(_ value: T?, to array: inout [T?]) {
        array.append(value)
        if array.count > Self.capacity { array.removeFirst(array.count - Self.capacity) }
    }
}
