/// A fault injected into a server through its `krpc:fault:<host:port>` key.
///
/// The key holds `error`, `timeout`, `delay:<ms>` or `error-rate:<0..1>`; absent means healthy.
/// Servers honor it only when started with `--allow-fault-injection`.
public enum Fault: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Every call fails with an internal error "injected error".
    case error
    /// No call is answered before the caller's deadline.
    case timeout
    /// Every call is answered after this many milliseconds (at most ``maximumDelayMilliseconds``).
    case delay(milliseconds: Int)
    /// This share (0...1) of calls fails, at random.
    case errorRate(Double)

    /// The longest delay a fault key may ask for: one day. A longer one is not a fault value (and a
    /// server holds a ``delay(milliseconds:)`` built in code for at most this long).
    public static let maximumDelayMilliseconds = 86_400_000

    /// Parses the value of a fault key.
    /// - Throws: ``FaultParseError`` naming the bad value.
    public init(parsing text: some StringProtocol) throws(FaultParseError) {
        let value = text.trimmingWhitespace()
        switch value {
        case "error": self = .error
        case "timeout": self = .timeout
        default:
            if value.hasPrefix("delay:"), let ms = Int(value.dropFirst("delay:".count)),
                (0...Self.maximumDelayMilliseconds).contains(ms)
            {
                self = .delay(milliseconds: ms)
            } else if value.hasPrefix("error-rate:"), let p = Double(value.dropFirst("error-rate:".count)),
                p.isFinite, (0...1).contains(p)
            {
                self = .errorRate(p)
            } else {
                throw FaultParseError(value: value)
            }
        }
    }

    /// The text stored in the fault key, which ``init(parsing:)`` reads back.
    public var description: String {
        switch self {
        case .error: "error"
        case .timeout: "timeout"
        case .delay(let ms): "delay:\(ms)"
        case .errorRate(let p): "error-rate:\(p)"
        }
    }
}

/// A fault key held a value that is not a fault.
public struct FaultParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The value as read.
    public var value: String
    public var description: String {
        "invalid fault value '\(self.value)' (expected error, timeout, delay:<ms up to \(Fault.maximumDelayMilliseconds)> or error-rate:<0..1>)"
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace. (Not `String.contains` on " \t\r\n": there "\r\n" is one
    /// Character, so a lone "\n" was kept.)
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// Where a server reads the fault currently injected into it.
public protocol FaultSource: Sendable {
    /// The fault in force now, or `nil` when healthy. Cheap: called once per call.
    func currentFault() -> Fault?
}
