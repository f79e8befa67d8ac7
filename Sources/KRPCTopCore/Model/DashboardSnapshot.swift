/// Everything the dashboard shows at one moment: the header figures, one ``NodeSnapshot`` per node and the
/// event log.
///
/// The wiring layer (krpc-top's collector) builds one from the client stack's observability API, the Redis
/// counters and its own load generator, and sends it as ``TopEvent/snapshot(_:)`` about ten times a second.
/// It is a plain `Sendable` value, so it crosses from the collector to the UI loop by copy.
public struct DashboardSnapshot: Sendable, Hashable {
    /// The service name, e.g. `UserServiceRpc`.
    public var service: String
    /// The method name, e.g. `Login`.
    public var method: String
    /// The load balancer in use, by the name the client stack gives it (e.g. `round-robin`).
    public var balancer: String
    /// The call rate the load generator aims at, in calls per second.
    public var targetRate: Double
    /// The call rate the load generator achieved over the last refresh interval, in calls per second.
    public var achievedRate: Double
    /// Calls per second handled by the whole cluster (all clients), from the Redis counters; `nil` when unknown.
    public var clusterQPS: Double?
    /// Logical calls that succeeded for this client, since start.
    public var calls: Int
    /// Logical calls that failed for this client, since start.
    public var failures: Int
    /// Error rate of this client's logical calls over the window, in percent (0...100); `nil` without calls.
    public var errorPercent: Double?
    /// Median latency of logical calls over the window, in microseconds; `nil` without data.
    public var p50Microseconds: Int?
    /// 99th percentile latency of logical calls over the window, in microseconds; `nil` without data.
    public var p99Microseconds: Int?
    /// This client's logical calls (as the caller sees them, after failover) over the sliding window; its
    /// ``WindowFigures/length`` is the window the header shows (`--window`).
    public var window: WindowFigures
    /// The ZooKeeper session state.
    public var zookeeper: LinkState
    /// The negotiated ZooKeeper session timeout; `nil` before the first session.
    public var zookeeperSessionTimeout: Duration?
    /// The Redis connection state.
    public var redis: LinkState
    /// The channel is in panic mode (every node ejected, calls spread over all of them).
    public var panicMode: Bool
    /// The load generator is paused.
    public var paused: Bool
    /// The nodes, in any order (the view sorts them).
    public var nodes: [NodeSnapshot]
    /// Nodes that left the registry in the last minute (``NodeSnapshot/departedFor`` set, numbers frozen), shown
    /// as `GONE` rows until they rejoin or a minute has passed.
    public var departed: [NodeSnapshot]
    /// The most recent events, newest first (the renderer sorts by ``DashboardEvent/time`` anyway).
    public var events: [DashboardEvent]
    /// The local time zone's offset from UTC in seconds (`TimeZone.current.secondsFromGMT()`), used to print
    /// event times; 0 prints UTC.
    public var utcOffsetSeconds: Int
    /// The registry's methods (the services view), sorted by name; empty until the registry was read.
    public var services: [ServiceSummary]
    /// Why ``services`` is empty or stale, e.g. `ZooKeeper not reached`; `nil` when the last read succeeded.
    public var servicesProblem: String?
    /// The node detail's data while that screen is open (``ViewState/detailAddress``), else `nil`.
    public var detail: NodeDetail?
    /// The cluster's call rate, error rate and p99 over the last minutes (the services view's graphs).
    public var history: ClusterHistory
    /// What publishing this client's fleet view has cost so far; `nil` when it does not publish (set by the
    /// session for `--once --json`, not at every refresh).
    public var fleetPublish: FleetPublishCost?

    /// Creates a snapshot; every field but the call names defaults to "nothing known yet".
    public init(
        service: String,
        method: String,
        balancer: String = "round-robin",
        targetRate: Double = 0,
        achievedRate: Double = 0,
        clusterQPS: Double? = nil,
        calls: Int = 0,
        failures: Int = 0,
        errorPercent: Double? = nil,
        p50Microseconds: Int? = nil,
        p99Microseconds: Int? = nil,
        window: WindowFigures = .empty,
        zookeeper: LinkState = .unknown,
        zookeeperSessionTimeout: Duration? = nil,
        redis: LinkState = .unknown,
        panicMode: Bool = false,
        paused: Bool = false,
        nodes: [NodeSnapshot] = [],
        departed: [NodeSnapshot] = [],
        events: [DashboardEvent] = [],
        utcOffsetSeconds: Int = 0,
        services: [ServiceSummary] = [],
        servicesProblem: String? = nil,
        detail: NodeDetail? = nil,
        history: ClusterHistory = ClusterHistory()
    ) {
        self.service = service
        self.method = method
        self.balancer = balancer
        self.targetRate = targetRate
        self.achievedRate = achievedRate
        self.clusterQPS = clusterQPS
        self.calls = calls
        self.failures = failures
        self.errorPercent = errorPercent
        self.p50Microseconds = p50Microseconds
        self.p99Microseconds = p99Microseconds
        self.window = window
        self.zookeeper = zookeeper
        self.zookeeperSessionTimeout = zookeeperSessionTimeout
        self.redis = redis
        self.panicMode = panicMode
        self.paused = paused
        self.nodes = nodes
        self.departed = departed
        self.events = events
        self.utcOffsetSeconds = utcOffsetSeconds
        self.services = services
        self.servicesProblem = servicesProblem
        self.detail = detail
        self.history = history
    }

    /// A method is being watched (the node view has something to show); `false` on the services view before one
    /// was chosen.
    public var hasMethod: Bool { !self.service.isEmpty && !self.method.isEmpty }

    /// The window's length (`--window`), shown in the header.
    public var windowLength: Duration { self.window.length }
}
