/// The category of a failed call, as the channel classifies it for the breaker and for failover.
///
/// The channel maps its errors onto these kinds and reports only the failures that say something about the
/// node's health. Caller errors (an invalid request, a cancelled call) are not reported to the breaker at all.
public enum FailureKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The connection failed: refused, reset, closed mid-call, or a frame could not be decoded.
    case transport
    /// The node answered that it cannot serve now (`unavailable`, a failing health check).
    case unavailable
    /// The node answered with an internal error.
    case `internal`
    /// No answer arrived before the deadline.
    case deadlineExceeded
    /// Any other failure the channel chooses to count.
    case other

    /// The human form used in breaker reasons: `transport`, `unavailable`, `internal`, `deadline exceeded`, `other`.
    public var description: String {
        switch self {
        case .transport: "transport"
        case .unavailable: "unavailable"
        case .internal: "internal"
        case .deadlineExceeded: "deadline exceeded"
        case .other: "other"
        }
    }
}
