public import KRPCPolicy

/// One node as this client sees it, at the moment a ``DashboardSnapshot`` was taken.
///
/// The wiring layer fills it from the client stack's observability API (breaker state, reason,
/// next probe, latency histogram) and from the Redis counters (cluster-wide calls). Everything is a
/// plain value: durations are relative to the snapshot, latencies are microseconds.
public struct NodeSnapshot: Sendable, Hashable {
    /// The node's address: its identity across snapshots (selection follows it).
    public var address: NodeAddress
    /// The breaker state.
    public var state: NodeState
    /// How long the node has been in ``state``.
    public var timeInState: Duration
    /// How long the node's current episode has lasted: for a healthy node the time since it became healthy, for
    /// a failing one the time since it left HEALTHY (the BROKEN ⇄ HALF-OPEN cycles of one failing stretch are one
    /// episode). `nil`: same as ``timeInState``. The table's AGE.
    public var timeInEpisode: Duration?
    /// Why the node is in its state, e.g. `5 consecutive failures: internal 'injected error'`; `nil` when
    /// there is nothing to say (a healthy node usually).
    public var reason: String?
    /// Time until the next health probe (BROKEN and HALF-OPEN nodes); `nil` when none is scheduled. Zero while a
    /// probe is out (``probeSentAgo``).
    public var nextProbeIn: Duration?
    /// How long ago the health probe that is out, awaiting its answer, was sent; `nil` when none is out. A hanging
    /// node's probe is out for its whole timeout, and "probe in 0.0s" would read as a countdown stuck at zero.
    public var probeSentAgo: Duration?
    /// Calls this node handled, counted in Redis by every client (`krpc:calls:<Service>.<Method>`);
    /// `nil` when unknown (Redis down or disabled).
    public var redisCalls: Int?
    /// Rate of ``redisCalls`` in calls per second, over the collector's last refresh interval; `nil` when unknown.
    public var redisCallRate: Double?
    /// Attempts this client sent to the node that the node answered (success or error), since krpc-top started
    /// (kept when the node leaves and rejoins at the same address).
    public var calls: Int
    /// Of ``calls``, those the node answered with an error.
    public var errors: Int
    /// Attempts that got no answer before their deadline (not in ``calls``): a hanging node fails this way.
    public var timeouts: Int
    /// Median latency of this client's recent attempts on the node (over the window: ``window``'s), in
    /// microseconds; `nil` without data.
    public var p50Microseconds: Int?
    /// 99th percentile latency over the window, in microseconds; `nil` without data.
    public var p99Microseconds: Int?
    /// This client's attempts on the node over the sliding window (`--window`): what the table's CALLS, ERR%,
    /// P50 and P99 show.
    public var window: WindowFigures
    /// How long ago the node left the registry, for a departed node (a `GONE` row, numbers frozen); `nil` for a
    /// present one.
    public var departedFor: Duration?
    /// Latency over the last minute, one value per second, oldest first, in microseconds (typically each
    /// second's p99 or maximum). `nil` marks a second without calls. Longer arrays are cut to the last 60.
    public var latencyHistory: [Int?]
    /// The fault injected on the node (the value of its `krpc:fault:<host:port>` key, e.g. `error` or
    /// `delay:500`), or `nil` when none.
    public var fault: String?
    /// Whether the node honours fault keys (started with `--allow-fault-injection`); `nil` when unknown.
    /// When `false`, the fault keys produce a message instead of an effect.
    public var acceptsFaults: Bool?
    /// Calls to this node in flight now.
    public var inFlight: Int
    /// How every live client sees the node (the FLEET column); `nil` when unknown (no Redis, fleet not read yet).
    public var fleet: FleetFigures?

    /// Creates a node row; every field but the address defaults to "nothing known yet".
    public init(
        address: NodeAddress,
        state: NodeState = .healthy,
        timeInState: Duration = .zero,
        timeInEpisode: Duration? = nil,
        reason: String? = nil,
        nextProbeIn: Duration? = nil,
        probeSentAgo: Duration? = nil,
        redisCalls: Int? = nil,
        redisCallRate: Double? = nil,
        calls: Int = 0,
        errors: Int = 0,
        timeouts: Int = 0,
        p50Microseconds: Int? = nil,
        p99Microseconds: Int? = nil,
        latencyHistory: [Int?] = [],
        fault: String? = nil,
        acceptsFaults: Bool? = nil,
        inFlight: Int = 0,
        window: WindowFigures = .empty,
        departedFor: Duration? = nil,
        fleet: FleetFigures? = nil
    ) {
        self.address = address
        self.state = state
        self.timeInState = timeInState
        self.timeInEpisode = timeInEpisode
        self.reason = reason
        self.nextProbeIn = nextProbeIn
        self.probeSentAgo = probeSentAgo
        self.redisCalls = redisCalls
        self.redisCallRate = redisCallRate
        self.calls = calls
        self.errors = errors
        self.timeouts = timeouts
        self.p50Microseconds = p50Microseconds
        self.p99Microseconds = p99Microseconds
        self.latencyHistory = latencyHistory
        self.fault = fault
        self.acceptsFaults = acceptsFaults
        self.inFlight = inFlight
        self.window = window
        self.departedFor = departedFor
        self.fleet = fleet
    }

    /// The totals since start (``calls``, ``errors``, ``timeouts``).
    public var totals: NodeTotals {
        NodeTotals(calls: self.calls, errors: self.errors, timeouts: self.timeouts)
    }

    /// The table's AGE: ``timeInEpisode``, or ``timeInState`` when unknown.
    public var age: Duration { self.timeInEpisode ?? self.timeInState }

    /// The node left the registry and is shown as a `GONE` row.
    public var isDeparted: Bool { self.departedFor != nil }

    /// Since start: failed attempts in percent of the attempts that ended,
    /// `(errors + timeouts) / (calls + timeouts)`, so a
    /// node that hangs shows its failures as plainly as one that answers errors; `nil` before any attempt ended.
    public var errorPercent: Double? {
        let ended = self.calls + self.timeouts
        return ended > 0 ? Double(self.errors + self.timeouts) * 100 / Double(ended) : nil
    }
}
