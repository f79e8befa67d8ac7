public import KRPCPolicy

/// What the node detail screen shows beyond the node's row: fetched only while that screen is open (ZooKeeper
/// leaf, fault key TTL, the server's own `Stats.Get`), plus the client's recent failures and the breaker's
/// settings. Every part is optional: a part that could not be read says why in its `…Error`.
public struct NodeDetail: Sendable, Hashable {
    /// The node's ZooKeeper leaf.
    public struct Leaf: Sendable, Hashable {
        /// The leaf's path, e.g. `/UserServiceRpc/Login/127.0.0.1:8001`.
        public var path: String
        /// The leaf's data as text (JSON written by krpc-server, or empty).
        public var data: String
        /// The session that owns the ephemeral leaf; 0 for a persistent node.
        public var ephemeralOwner: Int64
        /// Whether that session is live: `true` when ZooKeeper still holds the leaf (ephemeral leaves go with
        /// their session) and the node answered `Stats.Get`; `false` when the leaf is there but the node does not
        /// answer (a crashed server whose session has not expired yet); `nil` when unknown.
        public var sessionLive: Bool?
        /// Creation time, milliseconds since 1970.
        public var createdAtMilliseconds: Int64

        /// Creates a leaf.
        public init(
            path: String, data: String, ephemeralOwner: Int64, sessionLive: Bool?, createdAtMilliseconds: Int64
        ) {
            self.path = path
            self.data = data
            self.ephemeralOwner = ephemeralOwner
            self.sessionLive = sessionLive
            self.createdAtMilliseconds = createdAtMilliseconds
        }
    }

    /// The server's own view (`Stats.Get`).
    public struct Server: Sendable, Hashable {
        /// One method's counters on the server.
        public struct Method: Sendable, Hashable {
            /// `Service.Method`.
            public var name: String
            /// Calls handled.
            public var calls: Int
            /// Of those, errors.
            public var errors: Int
            /// Calls in flight now.
            public var inFlight: Int
            /// Median latency on the server, µs.
            public var p50Microseconds: Int

            /// Creates a row.
            public init(name: String, calls: Int, errors: Int, inFlight: Int, p50Microseconds: Int) {
                self.name = name
                self.calls = calls
                self.errors = errors
                self.inFlight = inFlight
                self.p50Microseconds = p50Microseconds
            }
        }

        /// Time since the server started.
        public var uptime: Duration
        /// Per method, sorted by name.
        public var methods: [Method]

        /// Calls in flight on the server, all methods.
        public var inFlight: Int { self.methods.reduce(0) { $0 + $1.inFlight } }

        /// Creates the view.
        public init(uptime: Duration, methods: [Method]) {
            self.uptime = uptime
            self.methods = methods
        }
    }

    /// One failure this client saw on the node.
    public struct Failure: Sendable, Hashable {
        /// Seconds since 1970.
        public var time: Double
        /// The error as the client reports it (code and message), e.g. `internal 'injected error'`.
        public var message: String
        /// How many failures in a row had this message (counted between two refreshes).
        public var count: Int

        /// Creates a failure.
        public init(time: Double, message: String, count: Int = 1) {
            self.time = time
            self.message = message
            self.count = count
        }
    }

    /// The breaker settings in force (the client's configuration).
    public struct BreakerSettings: Sendable, Hashable {
        /// Consecutive failures that open the breaker.
        public var failureThreshold: Int
        /// The failure-rate rule, e.g. `50% of ≥20 calls in 10s`; `nil` when off.
        public var failureRate: String?
        /// The first and the longest cool-down.
        public var cooldownInitial: Duration
        /// The longest cool-down.
        public var cooldownMax: Duration
        /// Health probe interval; `nil` when probes are off.
        public var probeInterval: Duration?

        /// Creates settings.
        public init(
            failureThreshold: Int, failureRate: String?, cooldownInitial: Duration, cooldownMax: Duration,
            probeInterval: Duration?
        ) {
            self.failureThreshold = failureThreshold
            self.failureRate = failureRate
            self.cooldownInitial = cooldownInitial
            self.cooldownMax = cooldownMax
            self.probeInterval = probeInterval
        }
    }

    /// The node the detail is about.
    public var address: NodeAddress
    /// The leaf; `nil` when not read (yet) or with a fixed node list.
    public var leaf: Leaf?
    /// Why the leaf is unknown, e.g. `no leaf (the node left)`.
    public var leafError: String?
    /// The server's view; `nil` when not read (yet).
    public var server: Server?
    /// Why the server's view is unknown, e.g. `unavailable 'connection refused'`.
    public var serverError: String?
    /// The fault key's value; `nil` without a fault.
    public var faultValue: String?
    /// The fault key's time to live; `nil` without a fault or without a TTL.
    public var faultTTL: Duration?
    /// Failures this client saw on the node since its method was opened, newest first.
    public var failures: [Failure]
    /// The breaker's settings.
    public var breaker: BreakerSettings?
    /// The breaker's current cool-down (the open period it is in), if open.
    public var currentCooldown: Duration?
    /// Times the breaker opened since the node was first seen.
    public var tripCount: Int?
    /// The node's state over the last minutes, one sample per second.
    public var timeline: StateTimeline

    /// Creates a detail with nothing read yet.
    public init(
        address: NodeAddress, leaf: Leaf? = nil, leafError: String? = nil, server: Server? = nil,
        serverError: String? = nil, faultValue: String? = nil, faultTTL: Duration? = nil, failures: [Failure] = [],
        breaker: BreakerSettings? = nil, currentCooldown: Duration? = nil, tripCount: Int? = nil,
        timeline: StateTimeline = StateTimeline()
    ) {
        self.address = address
        self.leaf = leaf
        self.leafError = leafError
        self.server = server
        self.serverError = serverError
        self.faultValue = faultValue
        self.faultTTL = faultTTL
        self.failures = failures
        self.breaker = breaker
        self.currentCooldown = currentCooldown
        self.tripCount = tripCount
        self.timeline = timeline
    }
}
