/// The state of a ``NodeConnection``'s TCP connection, as observers see it.
public enum NodeConnectionState: Sendable, CustomStringConvertible {
    /// Not connected; the next call connects.
    case idle
    /// A connection attempt is in progress; calls wait for it.
    case connecting
    /// Connected; calls go out at once.
    case ready
    /// The last attempt failed; calls fail fast with ``KRPCError/Code/unavailable`` until the
    /// backoff has passed, then the next call tries again.
    case backingOff(KRPCError, retryIn: Duration)
    /// Closed for good by ``NodeConnection/close()``.
    case closed

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .ready: "ready"
        case .backingOff(let error, let delay): "backing off for \(delay) after \(error)"
        case .closed: "closed"
        }
    }

    /// `true` for ``ready``.
    public var isReady: Bool {
        if case .ready = self { return true }
        return false
    }
}
