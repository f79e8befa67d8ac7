#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
import KRPCPolicy

/// The JSON document `krpc-top --once --duration S --json` prints: the same data as the screen.
///
/// Its shape is a contract for scripts (issue 7). Always present: `service`, `method`, `balancer`,
/// `zookeeper`, `redis`, `calls`, `failures`, `nodes[{address, state, reason, redis_calls, calls, errors,
/// p50_us, p99_us, fault}]` and `events[{time, node, from, to, reason}]`, with states spelled `healthy`,
/// `half-open`, `broken`; unknown values are `null`, never missing. Extra keys: `rate_target`,
/// `rate_achieved`, `cluster_qps`, `error_percent`, `p50_us`, `p99_us`, `panic`, `paused`,
/// `zookeeper_session_timeout_ms`; per node `timeouts`, `since_ms`, `next_probe_ms`, `probe_sent_ms`, `redis_rate`,
/// `in_flight`, `error_percent`; per event `kind` and `unix_time`. Nodes are sorted by address, events newest first.
///
/// The sliding window (krpc-top 2): `window_s` (its length), `window` (the caller's logical calls over it), per node
/// `window` (its attempts over it) and `totals` (since start, kept across a rejoin; the same figures as the node's
/// `calls`, `errors`, `timeouts`, `error_percent`), `episode_ms` (time since the node left HEALTHY, or healthy
/// since), and `departed` (nodes that left in the last minute, each with `departed_ms`, figures frozen).
/// The services view (krpc-top 2): `services[{service, method, nodes, healthy, redis_calls, redis_errors, call_rate,
/// error_percent}]`, every method of the registry, `healthy` `null` for a method this client has not called.
/// The header's `error_percent`, `p50_us`, `p99_us` and each node's `p50_us`, `p99_us` are over the window.
///
/// The fleet view (issue 16): per node `fleet` — how every live client sees it (this client's live view plus
/// every `krpc:view:*` another client publishes): `{clients, healthy, half_open, broken, broken_here_only,
/// views[{client, state, reason, self}]}`, or `null` when unknown (no Redis, not read yet, Redis down); per service
/// `fleet` — every live client's views of the method's nodes summed: `{views, healthy, half_open, broken}`, or
/// `null` when unknown; and `fleet_publish` — what publishing this client's view cost: `{cpu_ms, process_cpu_ms,
/// publishes, percent}` (CPU time of the publisher and its Redis client's thread; the process's from `getrusage`),
/// or `null` when it does not publish.
///
/// ```swift
/// print(try TopReport(snapshot).json())
/// ```
public struct TopReport: Sendable, Hashable, Codable {
    /// Figures over the sliding window.
    public struct Window: Sendable, Hashable, Codable {
        /// Attempts answered (success or error); for the caller, logical calls that ended with an answer.
        public var calls: Int
        /// Of ``calls``, the ones answered with an error.
        public var errors: Int
        /// Attempts with no answer before their deadline (not in ``calls``).
        public var timeouts: Int
        /// `(errors + timeouts) / (calls + timeouts)` in percent, or `null` without attempts.
        public var errorPercent: Double?
        /// Latency percentiles and maximum in microseconds, or `null` without attempts.
        public var p50Us: Int?
        public var p90Us: Int?
        public var p99Us: Int?
        public var p999Us: Int?
        public var maxUs: Int?

        enum CodingKeys: String, CodingKey {
            case calls, errors, timeouts
            case errorPercent = "error_percent", p50Us = "p50_us", p90Us = "p90_us", p99Us = "p99_us"
            case p999Us = "p999_us", maxUs = "max_us"
        }

        init(_ f: WindowFigures) {
            self.calls = f.calls
            self.errors = f.errors
            self.timeouts = f.timeouts
            self.errorPercent = f.errorPercent
            self.p50Us = f.p50Microseconds
            self.p90Us = f.p90Microseconds
            self.p99Us = f.p99Microseconds
            self.p999Us = f.p999Microseconds
            self.maxUs = f.maxMicroseconds
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.calls, forKey: .calls)
            try c.encode(self.errors, forKey: .errors)
            try c.encode(self.timeouts, forKey: .timeouts)
            try c.encode(self.errorPercent, forKey: .errorPercent)
            try c.encode(self.p50Us, forKey: .p50Us)
            try c.encode(self.p90Us, forKey: .p90Us)
            try c.encode(self.p99Us, forKey: .p99Us)
            try c.encode(self.p999Us, forKey: .p999Us)
            try c.encode(self.maxUs, forKey: .maxUs)
        }
    }

    /// Counts since start.
    public struct Totals: Sendable, Hashable, Codable {
        public var calls: Int
        public var errors: Int
        public var timeouts: Int
        /// `(errors + timeouts) / (calls + timeouts)` in percent, or `null`.
        public var errorPercent: Double?

        enum CodingKeys: String, CodingKey {
            case calls, errors, timeouts
            case errorPercent = "error_percent"
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.calls, forKey: .calls)
            try c.encode(self.errors, forKey: .errors)
            try c.encode(self.timeouts, forKey: .timeouts)
            try c.encode(self.errorPercent, forKey: .errorPercent)
        }
    }

    /// How every live client sees one node.
    public struct Fleet: Sendable, Hashable, Codable {
        /// One client's view.
        public struct View: Sendable, Hashable, Codable {
            /// `<host>:<pid>:<name>`.
            public var client: String
            /// `healthy`, `half-open` or `broken`.
            public var state: String
            /// Why, or `null`.
            public var reason: String?
            /// This client's own (live) view.
            public var isSelf: Bool

            enum CodingKeys: String, CodingKey {
                case client, state, reason
                case isSelf = "self"
            }

            /// Encodes every key, unknown values as `null`.
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(self.client, forKey: .client)
                try c.encode(self.state, forKey: .state)
                try c.encode(self.reason, forKey: .reason)
                try c.encode(self.isSelf, forKey: .isSelf)
            }
        }

        /// Live clients that know the node, this one included.
        public var clients: Int
        /// Of them, those that see it healthy, half-open, broken.
        public var healthy: Int
        public var halfOpen: Int
        public var broken: Int
        /// This client sees it failing while every other client sees it healthy.
        public var brokenHereOnly: Bool
        /// Each client's view, this one first.
        public var views: [View]

        enum CodingKeys: String, CodingKey {
            case clients, healthy, broken, views
            case halfOpen = "half_open", brokenHereOnly = "broken_here_only"
        }

        init(_ f: FleetFigures) {
            self.clients = f.clients
            self.healthy = f.healthy
            self.halfOpen = f.halfOpen
            self.broken = f.broken
            self.brokenHereOnly = f.brokenHereOnly
            self.views = f.entries.map {
                View(client: $0.client, state: $0.state.jsonName, reason: $0.reason, isSelf: $0.isSelf)
            }
        }
    }

    /// One node.
    public struct Node: Sendable, Hashable, Codable {
        /// `host:port`.
        public var address: String
        /// `healthy`, `half-open` or `broken`.
        public var state: String
        /// Why the node is in its state, or `null`.
        public var reason: String?
        /// Calls the node handled, counted in Redis by every client; `null` when unknown.
        public var redisCalls: Int?
        /// Attempts this client sent to the node that the node answered (success or error).
        public var calls: Int
        /// Of ``calls``, the ones answered with an error.
        public var errors: Int
        /// Attempts that got no answer before their deadline (not in ``calls``).
        public var timeouts: Int
        /// Median latency in microseconds, or `null`.
        public var p50Us: Int?
        /// 99th percentile latency in microseconds, or `null`.
        public var p99Us: Int?
        /// The injected fault (`error`, `timeout`, `delay:<ms>`, …), or `null`.
        public var fault: String?
        /// Milliseconds in the current state.
        public var sinceMs: Int
        /// Milliseconds until the next health probe (0 while one is out), or `null`.
        public var nextProbeMs: Int?
        /// Milliseconds since the health probe that is out was sent, or `null` when none is out.
        public var probeSentMs: Int?
        /// ``redisCalls`` per second, or `null`.
        public var redisRate: Double?
        /// Calls in flight.
        public var inFlight: Int
        /// `(errors + timeouts) / (calls + timeouts)` in percent, or `null` before any attempt ended.
        public var errorPercent: Double?
        /// Milliseconds since the node left HEALTHY (one episode across BROKEN ⇄ HALF-OPEN), or healthy since.
        public var episodeMs: Int
        /// This client's attempts on the node over the window.
        public var window: Window
        /// Since start (the same as ``calls``, ``errors``, ``timeouts``, ``errorPercent``).
        public var totals: Totals
        /// For a departed node: milliseconds since it left; `null` for a present one (and absent from `nodes`).
        public var departedMs: Int?
        /// How every live client sees the node, or `null` when unknown.
        public var fleet: Fleet?

        enum CodingKeys: String, CodingKey {
            case address, state, reason, calls, errors, timeouts, fault, window, totals, fleet
            case redisCalls = "redis_calls", p50Us = "p50_us", p99Us = "p99_us", sinceMs = "since_ms"
            case nextProbeMs = "next_probe_ms", probeSentMs = "probe_sent_ms", redisRate = "redis_rate"
            case inFlight = "in_flight"
            case errorPercent = "error_percent", episodeMs = "episode_ms", departedMs = "departed_ms"
        }

        init(_ n: NodeSnapshot) {
            self.address = n.address.description
            self.state = n.state.jsonName
            self.reason = n.reason
            self.redisCalls = n.redisCalls
            self.calls = n.calls
            self.errors = n.errors
            self.timeouts = n.timeouts
            self.p50Us = n.p50Microseconds
            self.p99Us = n.p99Microseconds
            self.fault = n.fault
            self.sinceMs = Format.milliseconds(n.timeInState)
            self.nextProbeMs = n.nextProbeIn.map(Format.milliseconds)
            self.probeSentMs = n.probeSentAgo.map(Format.milliseconds)
            self.redisRate = n.redisCallRate
            self.inFlight = n.inFlight
            self.errorPercent = n.errorPercent
            self.episodeMs = Format.milliseconds(n.age)
            self.window = Window(n.window)
            self.totals = Totals(calls: n.calls, errors: n.errors, timeouts: n.timeouts, errorPercent: n.errorPercent)
            self.departedMs = n.departedFor.map(Format.milliseconds)
            self.fleet = n.isDeparted ? nil : n.fleet.flatMap { $0.isKnown ? Fleet($0) : nil }
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.address, forKey: .address)
            try c.encode(self.state, forKey: .state)
            try c.encode(self.reason, forKey: .reason)
            try c.encode(self.redisCalls, forKey: .redisCalls)
            try c.encode(self.calls, forKey: .calls)
            try c.encode(self.errors, forKey: .errors)
            try c.encode(self.timeouts, forKey: .timeouts)
            try c.encode(self.p50Us, forKey: .p50Us)
            try c.encode(self.p99Us, forKey: .p99Us)
            try c.encode(self.fault, forKey: .fault)
            try c.encode(self.sinceMs, forKey: .sinceMs)
            try c.encode(self.nextProbeMs, forKey: .nextProbeMs)
            try c.encode(self.probeSentMs, forKey: .probeSentMs)
            try c.encode(self.redisRate, forKey: .redisRate)
            try c.encode(self.inFlight, forKey: .inFlight)
            try c.encode(self.errorPercent, forKey: .errorPercent)
            try c.encode(self.episodeMs, forKey: .episodeMs)
            try c.encode(self.window, forKey: .window)
            try c.encode(self.totals, forKey: .totals)
            if self.departedMs != nil { try c.encode(self.departedMs, forKey: .departedMs) }
            try c.encode(self.fleet, forKey: .fleet)
        }
    }

    /// One event.
    public struct Event: Sendable, Hashable, Codable {
        /// ISO 8601 UTC with milliseconds, e.g. `2026-11-24T12:03:04.120Z`.
        public var time: String
        /// The node's address, or `null` for cluster-wide events.
        public var node: String?
        /// For transitions: the old state (`healthy`, `half-open`, `broken`); otherwise `null`.
        public var from: String?
        /// For transitions: the new state; otherwise `null`.
        public var to: String?
        /// Why; for ZooKeeper and Redis events the new state, for fault events the fault.
        public var reason: String?
        /// ``DashboardEvent/Kind/jsonName``.
        public var kind: String
        /// Seconds since 1970 UTC.
        public var unixTime: Double

        enum CodingKeys: String, CodingKey {
            case time, node, from, to, reason, kind
            case unixTime = "unix_time"
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.time, forKey: .time)
            try c.encode(self.node, forKey: .node)
            try c.encode(self.from, forKey: .from)
            try c.encode(self.to, forKey: .to)
            try c.encode(self.reason, forKey: .reason)
            try c.encode(self.kind, forKey: .kind)
            try c.encode(self.unixTime, forKey: .unixTime)
        }
    }

    /// One method of the registry (the services view's row).
    public struct Service: Sendable, Hashable, Codable {
        /// The service name.
        public var service: String
        /// The method name.
        public var method: String
        /// Nodes registered for it in ZooKeeper.
        public var nodes: Int
        /// Nodes this client saw HEALTHY, or `null` for a method it has not called.
        public var healthy: Int?
        /// Calls counted in Redis (every node and client), or `null` when unknown.
        public var redisCalls: Int?
        /// Errors counted in Redis, or `null` when unknown.
        public var redisErrors: Int?
        /// Cluster-wide calls per second over the window (Redis deltas), or `null`.
        public var callRate: Double?
        /// Cluster-wide errors in percent of the calls over the window, or `null` without calls.
        public var errorPercent: Double?
        /// Every live client's views of the method's nodes, summed, or `null` when unknown.
        public var fleet: ServiceFleet?

        enum CodingKeys: String, CodingKey {
            case service, method, nodes, healthy, fleet
            case redisCalls = "redis_calls", redisErrors = "redis_errors", callRate = "call_rate"
            case errorPercent = "error_percent"
        }

        init(_ s: ServiceSummary) {
            self.service = s.service
            self.method = s.method
            self.nodes = s.registered
            self.healthy = s.seenHealthy
            self.redisCalls = s.redisCalls
            self.redisErrors = s.redisErrors
            self.callRate = s.callRate
            self.errorPercent = s.errorPercent
            self.fleet = s.fleet.flatMap { $0.isKnown ? ServiceFleet($0) : nil }
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.service, forKey: .service)
            try c.encode(self.method, forKey: .method)
            try c.encode(self.nodes, forKey: .nodes)
            try c.encode(self.healthy, forKey: .healthy)
            try c.encode(self.redisCalls, forKey: .redisCalls)
            try c.encode(self.redisErrors, forKey: .redisErrors)
            try c.encode(self.callRate, forKey: .callRate)
            try c.encode(self.errorPercent, forKey: .errorPercent)
            try c.encode(self.fleet, forKey: .fleet)
        }
    }

    /// One method's (live client, node) views, counted by state.
    public struct ServiceFleet: Sendable, Hashable, Codable {
        /// Views counted.
        public var views: Int
        /// Of them, those that see their node healthy, half-open, broken.
        public var healthy: Int
        public var halfOpen: Int
        public var broken: Int

        enum CodingKeys: String, CodingKey {
            case views, healthy, broken
            case halfOpen = "half_open"
        }

        init(_ t: FleetTally) {
            self.views = t.views
            self.healthy = t.healthy
            self.halfOpen = t.halfOpen
            self.broken = t.broken
        }
    }

    /// What publishing the fleet view cost.
    public struct FleetPublish: Sendable, Hashable, Codable {
        /// CPU time spent publishing, ms.
        public var cpuMs: Double
        /// The process's CPU time, ms.
        public var processCPUMs: Double
        /// Views published.
        public var publishes: Int
        /// `cpu_ms` in percent of `process_cpu_ms`, or `null` before any CPU time was counted.
        public var percent: Double?

        enum CodingKeys: String, CodingKey {
            case publishes, percent
            case cpuMs = "cpu_ms", processCPUMs = "process_cpu_ms"
        }

        init(_ c: FleetPublishCost) {
            self.cpuMs = c.cpuMilliseconds
            self.processCPUMs = c.processCPUMilliseconds
            self.publishes = c.publishes
            self.percent = c.percentOfProcess
        }

        /// Encodes every key, unknown values as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.cpuMs, forKey: .cpuMs)
            try c.encode(self.processCPUMs, forKey: .processCPUMs)
            try c.encode(self.publishes, forKey: .publishes)
            try c.encode(self.percent, forKey: .percent)
        }
    }

    /// The service name.
    public var service: String
    /// The method name.
    public var method: String
    /// The load balancer in use.
    public var balancer: String
    /// ``LinkState/jsonName``: `connected`, `connecting`, `disconnected`, `expired`, `disabled`, `unknown`.
    public var zookeeper: String
    /// ``LinkState/jsonName``.
    public var redis: String
    /// Logical calls that succeeded for the caller.
    public var calls: Int
    /// Logical calls that failed for the caller.
    public var failures: Int
    /// The nodes, by address.
    public var nodes: [Node]
    /// Recent events, newest first.
    public var events: [Event]
    /// Target call rate, calls per second.
    public var rateTarget: Double
    /// Achieved call rate, calls per second.
    public var rateAchieved: Double
    /// Calls per second handled by the whole cluster (Redis counters), or `null`.
    public var clusterQPS: Double?
    /// Recent error rate seen by this client, in percent, or `null`.
    public var errorPercent: Double?
    /// Median latency of logical calls in microseconds, or `null`.
    public var p50Us: Int?
    /// 99th percentile latency of logical calls in microseconds, or `null`.
    public var p99Us: Int?
    /// The channel is in panic mode.
    public var panic: Bool
    /// The load generator is paused.
    public var paused: Bool
    /// The negotiated ZooKeeper session timeout in milliseconds, or `null`.
    public var zookeeperSessionTimeoutMs: Int?
    /// The sliding window's length in seconds.
    public var windowS: Double
    /// The caller's logical calls over the window.
    public var window: Window
    /// Nodes that left in the last minute (figures frozen), by address.
    public var departed: [Node]
    /// The registry's methods with their node counts and Redis totals, by name.
    public var services: [Service]
    /// What publishing this client's fleet view cost, or `null` when it does not publish.
    public var fleetPublish: FleetPublish?

    enum CodingKeys: String, CodingKey {
        case service, method, balancer, zookeeper, redis, calls, failures, nodes, events, panic, paused
        case fleetPublish = "fleet_publish"
        case window, departed, services, windowS = "window_s"
        case rateTarget = "rate_target", rateAchieved = "rate_achieved", clusterQPS = "cluster_qps"
        case errorPercent = "error_percent", p50Us = "p50_us", p99Us = "p99_us"
        case zookeeperSessionTimeoutMs = "zookeeper_session_timeout_ms"
    }

    /// The report of a snapshot.
    public init(_ snapshot: DashboardSnapshot) {
        self.service = snapshot.service
        self.method = snapshot.method
        self.balancer = snapshot.balancer
        self.zookeeper = snapshot.zookeeper.jsonName
        self.redis = snapshot.redis.jsonName
        self.calls = snapshot.calls
        self.failures = snapshot.failures
        self.nodes = snapshot.nodes.sorted { NodeAddress.naturallyPrecedes($0.address, $1.address) }.map(Node.init)
        self.departed = snapshot.departed.sorted { NodeAddress.naturallyPrecedes($0.address, $1.address) }
            .map(Node.init)
        let length = snapshot.window.length.components
        self.windowS = Double(length.seconds) + Double(length.attoseconds) / 1e18
        self.window = Window(snapshot.window)
        self.services = snapshot.services.sorted { $0.name < $1.name }.map(Service.init)
        self.fleetPublish = snapshot.fleetPublish.map(FleetPublish.init)
        self.events = snapshot.events.enumerated()
            .sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset < $1.offset }
            .map { Self.event($0.element) }
        self.rateTarget = snapshot.targetRate
        self.rateAchieved = snapshot.achievedRate
        self.clusterQPS = snapshot.clusterQPS
        self.errorPercent = snapshot.errorPercent
        self.p50Us = snapshot.p50Microseconds
        self.p99Us = snapshot.p99Microseconds
        self.panic = snapshot.panicMode
        self.paused = snapshot.paused
        self.zookeeperSessionTimeoutMs = snapshot.zookeeperSessionTimeout.map(Format.milliseconds)
    }

    private static func event(_ e: DashboardEvent) -> Event {
        var from: String?
        var to: String?
        var reason = e.reason
        switch e.kind {
        case .transition(let f, let t):
            from = f.jsonName
            to = t.jsonName
        case .zookeeper(let s), .redis(let s):
            reason = reason ?? s.jsonName
        case .faultSet(let value):
            reason = reason ?? value
        case .panic(let on):
            reason = reason ?? (on ? "on" : "off")
        case .joined, .left, .faultCleared:
            break
        }
        return Event(time: Format.iso8601(e.time), node: e.node?.description, from: from, to: to, reason: reason,
                     kind: e.kind.jsonName, unixTime: e.time)
    }

    /// Encodes every key, unknown values as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.service, forKey: .service)
        try c.encode(self.method, forKey: .method)
        try c.encode(self.balancer, forKey: .balancer)
        try c.encode(self.zookeeper, forKey: .zookeeper)
        try c.encode(self.redis, forKey: .redis)
        try c.encode(self.calls, forKey: .calls)
        try c.encode(self.failures, forKey: .failures)
        try c.encode(self.nodes, forKey: .nodes)
        try c.encode(self.events, forKey: .events)
        try c.encode(self.rateTarget, forKey: .rateTarget)
        try c.encode(self.rateAchieved, forKey: .rateAchieved)
        try c.encode(self.clusterQPS, forKey: .clusterQPS)
        try c.encode(self.errorPercent, forKey: .errorPercent)
        try c.encode(self.p50Us, forKey: .p50Us)
        try c.encode(self.p99Us, forKey: .p99Us)
        try c.encode(self.panic, forKey: .panic)
        try c.encode(self.paused, forKey: .paused)
        try c.encode(self.zookeeperSessionTimeoutMs, forKey: .zookeeperSessionTimeoutMs)
        try c.encode(self.windowS, forKey: .windowS)
        try c.encode(self.window, forKey: .window)
        try c.encode(self.departed, forKey: .departed)
        try c.encode(self.services, forKey: .services)
        try c.encode(self.fleetPublish, forKey: .fleetPublish)
    }

    /// The document as UTF-8 JSON text, keys sorted.
    /// - Parameter pretty: Indent (default) or one line.
    /// - Throws: `EncodingError` only for non-finite numbers, which are written as `null` beforehand, so in
    ///   practice never.
    public func json(pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self.finite())
        return String(decoding: data, as: UTF8.self)
    }

    /// JSON has no NaN or infinity: such values become `null` (or 0 where the key is not optional).
    private func finite() -> TopReport {
        func f(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        var r = self
        r.rateTarget = f(r.rateTarget) ?? 0
        r.rateAchieved = f(r.rateAchieved) ?? 0
        r.clusterQPS = f(r.clusterQPS)
        r.errorPercent = f(r.errorPercent)
        func finite(_ n: inout Node) {
            n.redisRate = f(n.redisRate)
            n.errorPercent = f(n.errorPercent)
            n.totals.errorPercent = f(n.totals.errorPercent)
            n.window.errorPercent = f(n.window.errorPercent)
        }
        for i in r.nodes.indices { finite(&r.nodes[i]) }
        for i in r.departed.indices { finite(&r.departed[i]) }
        r.window.errorPercent = f(r.window.errorPercent)
        r.windowS = f(r.windowS) ?? 0
        for i in r.events.indices { r.events[i].unixTime = f(r.events[i].unixTime) ?? 0 }
        if var cost = r.fleetPublish {
            cost.cpuMs = f(cost.cpuMs) ?? 0
            cost.processCPUMs = f(cost.processCPUMs) ?? 0
            cost.percent = f(cost.percent)
            r.fleetPublish = cost
        }
        return r
    }
}
