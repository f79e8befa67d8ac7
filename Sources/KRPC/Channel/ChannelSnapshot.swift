public import KRPCPolicy

/// What a channel knows at one instant: every node, the cluster totals, recent events.
/// Cheap enough to take 10 times a second (the dashboard does).
public struct ChannelSnapshot: Sendable {
    /// The service method whose members the channel serves.
    public var key: ServiceKey
    /// When it was taken.
    public var takenAt: ContinuousClock.Instant
    /// The balancer in use.
    public var balancer: BalancerKind
    /// True while more nodes are ejected than allowed and calls are spread over every node.
    public var panic: Bool
    /// The registry's connection state.
    public var registryState: RegistryState
    /// Every known node, sorted by address.
    public var nodes: [NodeSnapshot]
    /// Logical calls (as the caller sees them, after failover and hedging) that succeeded.
    public var calls: Int
    /// Logical calls that failed.
    public var failures: Int
    /// Extra attempts made: retries on another node and hedges.
    public var retries: Int
    public var hedges: Int
    /// Latency of successful logical calls in the current window (µs).
    public var latency: LatencySummary
    /// Logical calls per second over the last full seconds (oldest first, up to 60).
    public var callsPerSecond: [Int]
    /// The most recent events, newest last.
    public var events: [KRPCChannelEvent]
}

/// One node as the channel sees it.
public struct NodeSnapshot: Sendable, Identifiable {
    public var id: NodeAddress { self.address }
    public var address: NodeAddress
    /// Registry weight.
    public var weight: Int
    /// Whether the node honors its fault-injection key, as it published in the registry (`nil`: unknown).
    public var faultInjection: Bool?
    /// The breaker's state, since when, why it last opened, cool-down, failures.
    public var breaker: BreakerStatus
    /// Time until the next health probe (OPEN/HALF-OPEN only).
    public var nextProbeIn: Duration?
    /// The TCP connection's state, e.g. `ready`, `connecting`, `backoff 400ms`.
    public var connection: String
    /// Attempts in flight to this node now.
    public var inFlight: Int
    /// Attempts the node answered successfully.
    public var successes: Int
    /// Attempts that failed against this node (answered with an error, or not at all).
    public var failures: Int
    /// Of those failures, how many ran out of time.
    public var timeouts: Int
    /// The last error this node gave, if any.
    public var lastError: String?
    /// Traffic share factor while ramping up after joining or recovering (1 = full).
    public var slowStartFactor: Double
    /// Latency of successful attempts in the current window (µs).
    public var latency: LatencySummary
    /// Mean latency (µs) of each of the last seconds, oldest first (up to 60; 0 = no call that second).
    public var latencyPerSecond: [Double]
    /// Attempts per second over the last seconds, oldest first (up to 60).
    public var attemptsPerSecond: [Int]

    /// Attempts the node answered, successfully or with an error (the dashboard's "calls").
    public var answered: Int { self.successes + self.failures - self.timeouts }
}

/// Percentiles of a latency window.
public struct LatencySummary: Sendable, Hashable {
    public var count: Int
    public var p50Micros: Int
    public var p99Micros: Int
    public static let empty = LatencySummary(count: 0, p50Micros: 0, p99Micros: 0)
}

/// A change the channel saw: a breaker transition, a node joining or leaving, panic, registry state.
public struct KRPCChannelEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A breaker changed state; `reason` says why (for opens: e.g. `5 consecutive failures: internal 'injected error'`).
        case breaker(from: BreakerState, to: BreakerState, reason: String)
        case nodeJoined
        case nodeLeft
        case panicStarted
        case panicEnded
        case registry(RegistryState)
        case balancerChanged(BalancerKind)
    }

    /// When it happened (monotonic).
    public var time: ContinuousClock.Instant
    /// When it happened, seconds since the Unix epoch (for display).
    public var wallTime: Double
    /// The node concerned, if any.
    public var node: NodeAddress?
    public var kind: Kind
}
