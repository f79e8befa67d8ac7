import KRPC
public import KRPCPolicy
import KRPCTopCore
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// krpc-top's command line as typed, before any check: the executable fills it from its parsed arguments and
/// ``TopSettings/init(options:)`` checks and converts it.
public struct TopOptions: Sendable {
    public var zk: String?
    public var zkRoot: String?
    public var zkSessionTimeout: Double = 10
    public var nodes: String?
    public var redis: String?
    public var noRedis = false
    public var service: String = UserServiceRpc.name
    public var method: String = UserServiceRpc.login
    public var rate: Double = 50
    public var balancer: String = BalancerKind.roundRobin.name
    public var logLevel: String = "info"
    public var once = false
    public var duration: Double?
    public var json = false
    public var window: Double = 10
    public var refreshMs = 100
    public var batchMs = 100
    public var deadlineMs = 1000
    public var hedgeDelayMs = 50
    public var noHedging = false
    public var noFailover = false
    public var faultTtl: Double = 60
    public var delayMs = 500
    public var noFleetView = false
    public var clientHost: String?
    public var metricsPort: Int?
    public var demoCluster: String?

    /// Every option at its default (no registry and no Redis chosen yet: ``TopSettings/init(options:)`` asks for them).
    public init() {}
}

/// The command line, checked and converted.
public struct TopSettings: Sendable {
    public var registry: RegistryHandle.Choice
    public var redis: String?
    public var service: String
    public var method: String
    public var rate: Double
    public var balancer: BalancerKind
    public var refreshInterval: Duration
    /// The load generator's shortest time between wake-ups (calls due in between go together).
    public var batchInterval: Duration
    public var deadline: Duration
    public var hedgeDelay: Duration?
    public var failover: Bool
    public var faultTTL: Duration
    public var delayMilliseconds: Int
    public var duration: Duration
    /// The sliding window every rate, error percentage and percentile is over (`--window`).
    public var window: Duration
    /// `--once`.
    public var once: Bool
    /// The log level by name (`--log-level`), checked.
    public var logLevel: Logger.Level
    /// Publish this client's view of the nodes under `krpc:view:*` (on unless `--no-fleet-view`; needs Redis).
    public var publishesFleetView: Bool
    /// The host this client publishes its fleet view under (`--client-host`; `nil`: the host name).
    public var clientHost: String?
    /// Serve Prometheus metrics of the channels on this port (`--metrics-port`; 0: any free one); `nil`: none.
    public var metricsPort: Int?
    /// The `demo-cluster` folder when krpc-top runs on a client host of the demo's hosts mode (`--demo-cluster`,
    /// with `--client-host`): `p` and `h` then run its `fault` script to partition and heal the selected node.
    public var demoCluster: String?

    /// Checks every option; the error names the first bad one.
    /// - Throws: ``TopError`` with a message for the user.
    public init(options o: TopOptions) throws(TopError) {
        /// An option in seconds: more than 0, at most a year (a huge value would overflow, not wait).
        func positive(_ value: Double, _ name: String) throws(TopError) -> Duration {
            guard let duration = Duration(optionSeconds: value), duration > .zero else {
                let longest = Int(Duration.longestOptionSeconds)
                throw TopError("\(name) must be a number of seconds > 0 and <= \(longest), got \(value)")
            }
            return duration
        }
        switch (o.zk, o.nodes) {
        case (nil, nil):
            throw TopError("give --zk HOST:PORT (ZooKeeper) or --nodes HOST:PORT,... (a fixed list)")
        case (.some, .some):
            throw TopError("--zk and --nodes exclude each other")
        case (let zk?, nil):
            let hosts = zk.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let entries = hosts.split(separator: ",", omittingEmptySubsequences: false)
            for entry in entries where NodeAddress(parsing: entry) == nil {
                throw TopError("--zk: '\(entry)' is not host:port (e.g. 127.0.0.1:2181)")
            }
            let root = o.zkRoot ?? ""
            if !root.isEmpty {
                guard root.hasPrefix("/"), !root.hasSuffix("/"), !root.contains("//") else {
                    throw TopError("--zk-root '\(root)' must be an absolute path like /krpc (no trailing slash)")
                }
            }
            self.registry = .zooKeeper(
                servers: zk, root: root, sessionTimeout: try positive(o.zkSessionTimeout, "--zk-session-timeout"))
        case (nil, let list?):
            if o.zkRoot != nil { throw TopError("--zk-root goes with --zk") }
            var addresses: [NodeAddress] = []
            for entry in list.split(separator: ",") {
                guard let address = NodeAddress(parsing: entry) else {
                    throw TopError("--nodes: '\(entry)' is not host:port (e.g. 127.0.0.1:8000)")
                }
                addresses.append(address)
            }
            guard !addresses.isEmpty else { throw TopError("--nodes needs at least one host:port") }
            self.registry = .fixed(addresses, ServiceKey(service: o.service, method: o.method))
        }
        switch (o.redis, o.noRedis) {
        case (nil, false): throw TopError("give --redis HOST:PORT, or --no-redis to run without it")
        case (.some, true): throw TopError("--redis and --no-redis exclude each other")
        case (let address?, false):
            guard NodeAddress(parsing: address) != nil else {
                throw TopError("--redis: '\(address)' is not host:port (e.g. 127.0.0.1:6379)")
            }
        case (nil, true): break
        }
        guard !o.service.isEmpty, !o.method.isEmpty else {
            throw TopError("--service and --method must not be empty")
        }
        guard o.rate == 0 || (LoadGenerator.rates).contains(o.rate) else {
            let rates = "\(LoadGenerator.rates.lowerBound)...\(Int(LoadGenerator.rates.upperBound))"
            throw TopError("--rate must be 0 or \(rates) calls/s, got \(o.rate)")
        }
        guard let balancer = BalancerKind(name: o.balancer) else {
            let names = BalancerKind.allCases.map(\.name).joined(separator: ", ")
            throw TopError("--balancer: unknown '\(o.balancer)' (one of \(names))")
        }
        guard let level = Logger.Level(rawValue: o.logLevel) else {
            throw TopError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if o.json && !o.once {
            throw TopError("--json goes with --once (the dashboard itself is not JSON)")
        }
        if o.duration != nil && !o.once { throw TopError("--duration goes with --once") }
        let duration = try positive(o.duration ?? 5, "--duration")
        guard let window = Duration(optionSeconds: o.window), RollingWindow.lengths.contains(window) else {
            throw TopError("--window must be 0.1...3600 seconds, got \(o.window)")
        }
        guard (10...10_000).contains(o.refreshMs) else { throw TopError("--refresh-ms must be 10...10000") }
        guard (1...86_400_000).contains(o.deadlineMs) else {
            throw TopError("--deadline-ms must be 1...86400000 (a day)")
        }
        guard (1...86_400_000).contains(o.hedgeDelayMs) else {
            throw TopError("--hedge-delay-ms must be 1...86400000 (or use --no-hedging)")
        }
        let faultTTL = try positive(o.faultTtl, "--fault-ttl")
        guard (0...Fault.maximumDelayMilliseconds).contains(o.delayMs) else {
            throw TopError("--delay-ms must be 0...\(Fault.maximumDelayMilliseconds) (a day)")
        }
        guard (0...1000).contains(o.batchMs) else { throw TopError("--batch-ms must be 0...1000") }
        if let host = o.clientHost, host.isEmpty || host.contains(":") || host.contains(where: \.isWhitespace) {
            throw TopError("--client-host must be a name without ':' or blanks, got '\(host)'")
        }
        if let port = o.metricsPort, !(0...65535).contains(port) {
            throw TopError("--metrics-port must be 0...65535, got \(port)")
        }
        if let directory = o.demoCluster {
            guard o.clientHost != nil else {
                throw TopError("--demo-cluster needs --client-host (the demo host krpc-top runs on, e.g. a)")
            }
            guard access(directory + "/fault", X_OK) == 0 else {
                throw TopError("--demo-cluster \(directory): no executable fault script there")
            }
        }
        self.redis = o.redis
        self.service = o.service
        self.method = o.method
        self.rate = o.rate
        self.balancer = balancer
        self.refreshInterval = .milliseconds(o.refreshMs)
        self.batchInterval = .milliseconds(o.batchMs)
        self.deadline = .milliseconds(o.deadlineMs)
        self.hedgeDelay = o.noHedging ? nil : .milliseconds(o.hedgeDelayMs)
        self.failover = !o.noFailover
        self.faultTTL = faultTTL
        self.delayMilliseconds = o.delayMs
        self.duration = duration
        self.window = window
        self.once = o.once
        self.logLevel = level
        self.publishesFleetView = !o.noFleetView
        self.clientHost = o.clientHost
        self.metricsPort = o.metricsPort
        self.demoCluster = o.demoCluster
    }
}

/// A failure krpc-top reports to the user as a message (never a crash).
public struct TopError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
