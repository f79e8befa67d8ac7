/// Permission to send one call to a node, handed out by ``CircuitBreaker/acquire()``.
///
/// Every permit ends with exactly one ``CircuitBreaker/record(_:for:now:using:)`` or
/// ``CircuitBreaker/release(_:)``. A permit remembers the breaker state it was issued in: outcomes of calls admitted
/// before the last state change are stale and ignored, so calls still in flight when a node trips cannot prolong
/// its cool-down, and a late success from before the trip cannot close it.
public struct CallPermit: Sendable, Hashable {
    /// How the call was admitted.
    public enum Kind: Sendable, Hashable {
        /// Admitted by a closed breaker.
        case normal
        /// One of the bounded trial calls of a half-open breaker.
        case trial
        /// Sent without the breaker's admission (panic mode); its outcome is ignored by the breaker.
        case bypass
    }

    /// How the call was admitted.
    public let kind: Kind
    /// The breaker generation the permit belongs to (0 for ``bypass``; generations start at 1).
    let generation: UInt64

    init(kind: Kind, generation: UInt64) {
        self.kind = kind
        self.generation = generation
    }

    /// The permit for a call sent to a node its breaker does not admit, as ``NodeSelection/panic`` mode does.
    /// Recording or releasing it changes nothing.
    public static let bypass = CallPermit(kind: .bypass, generation: 0)
}
