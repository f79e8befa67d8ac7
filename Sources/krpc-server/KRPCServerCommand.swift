import ArgumentParser
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCServices
import Logging

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `krpc-server`: one krpc node serving `UserServiceRpc.Login`, `Echo.Echo` and `Health.Check`.
@main
struct KRPCServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krpc-server",
        abstract: "Serve UserServiceRpc.Login, Echo.Echo and Health.Check over krpc.",
        discussion: """
            Prints "listening on HOST:PORT" on stdout once it accepts connections, then registers every \
            method it serves in ZooKeeper (<root>/<Service>/<Method>/<host:port>). Counts every handled call \
            in Redis (hash krpc:calls:<Service>.<Method>, field <host:port>; failed ones in krpc:errors:…), \
            batched every 100 ms and kept in memory while Redis is down. With --allow-fault-injection it \
            obeys the key krpc:fault:<host:port> (error | timeout | delay:<ms> | error-rate:<0..1>).
            SIGINT or SIGTERM: deregister, let calls in flight finish (up to the grace period), flush the \
            counts, exit 0.
            """
    )

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port: Int

    @Option(help: "The address to bind; also the node's name in ZooKeeper and Redis unless --advertise-host is given.")
    var host: String = "127.0.0.1"

    @Option(
        help: ArgumentHelp(
            "The address clients reach this node at, published in ZooKeeper and used in Redis keys (default: --host). Needed with a wildcard --host such as 0.0.0.0.",
            valueName: "host"))
    var advertiseHost: String?

    @Option(help: "ZooKeeper servers to register in, HOST:PORT[,HOST:PORT...].")
    var zk: String?

    @Flag(help: "Do not register in ZooKeeper.")
    var noRegistry = false

    @Option(help: "Root path of the registry layout in ZooKeeper (default: none, as the seed).")
    var zkRoot: String?

    @Option(help: "ZooKeeper session timeout in seconds (ZooKeeper clamps it to its own limits).")
    var zkSessionTimeout: Double?

    @Option(help: "Weight published in the registry, 1...10000.")
    var weight: Int?

    @Option(help: "Redis server for call counts and fault keys, HOST:PORT.")
    var redis: String?

    @Flag(help: "Do not count calls in Redis (and read no fault key).")
    var noRedis = false

    @Option(help: "Redis password (AUTH); default: the environment variable KRPC_REDIS_PASSWORD.")
    var redisPassword: String?

    @Option(help: "Redis database index (SELECT).")
    var redisDb: Int?

    @Flag(help: "Honor the fault key krpc:fault:<host:port> in Redis.")
    var allowFaultInjection = false

    @Option(help: "Seconds between 'Current login request count: N' log lines (0: never).")
    var countLogInterval: Double = 10

    @Option(help: "Append the log to this file instead of writing it to stderr.")
    var logFile: String?

    @Option(
        help: """
            With --log-file: rotate the file before it grows past this size (bytes, or with a K, M or G \
            suffix; 0: never), keeping the last \(LogSink.keptFiles) as FILE.1 (newest) … FILE.\(LogSink.keptFiles). \
            Default: 64M.
            """
    )
    var logMaxSize: String?

    @Option(
        help: """
            Log level: demo (= trace: shows Login passwords), trace, debug, info, notice, warning, error, \
            critical.
            """
    )
    var logLevel: String = "info"

    @Option(help: "Seconds calls in flight may take to finish on shutdown.")
    var gracePeriod: Double = 5

    @Option(help: "Largest frame accepted, in bytes.")
    var maxFrameSize: Int = 4 * 1024 * 1024

    @Option(help: "Flush responses after this many frames (and at the end of each event-loop tick).")
    var flushEvery: Int = 8

    @Option(help: "Most calls one connection may have in flight; past it a call is answered 'overloaded' at once.")
    var maxCallsPerConnection: Int = 16_384

    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://HOST:PORT/metrics on this port (on --host; 0 picks a free one "
                + "and prints 'metrics at http://HOST:PORT/metrics').",
            valueName: "port"))
    var metricsPort: Int?

    @Flag(
        help: """
            Serve every call through the tracing interceptor (a server span per call, the caller's trace context \
            from the request metadata). krpc-server bootstraps no tracer, so nothing is recorded: this is what the \
            interceptor costs a server that has it installed without a tracer.
            """
    )
    var tracing = false

    func validate() throws {
        guard (0...65535).contains(self.port) else {
            throw ValidationError("--port must be 0...65535, got \(self.port)")
        }
        if let metricsPort = self.metricsPort {
            guard (0...65535).contains(metricsPort) else {
                throw ValidationError("--metrics-port must be 0...65535, got \(metricsPort)")
            }
            guard metricsPort == 0 || metricsPort != self.port else {
                throw ValidationError("--metrics-port must differ from --port (\(self.port))")
            }
        }
        guard Self.isHost(self.host) else {
            throw ValidationError("--host '\(self.host)' is not a host name or IP address")
        }
        if let advertised = self.advertiseHost {
            guard Self.isHost(advertised), !Self.isWildcard(advertised) else {
                throw ValidationError("--advertise-host '\(advertised)' is not an address clients can reach")
            }
        } else if Self.isWildcard(self.host) && ((self.zk != nil && !self.noRegistry) || self.redis != nil) {
            throw ValidationError(
                "--host \(self.host) listens on every interface, but clients cannot call '\(self.host)': "
                    + "give --advertise-host with the address to publish (e.g. the machine's IP)"
            )
        }
        guard Self.level(named: self.logLevel) != nil else {
            throw ValidationError(
                "--log-level '\(self.logLevel)' must be one of demo, \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if let size = self.logMaxSize {
            guard self.logFile != nil else { throw ValidationError("--log-max-size needs --log-file") }
            guard LogSink.size(parsing: size) != nil else {
                throw ValidationError(
                    "--log-max-size '\(size)' must be a size in bytes like 1048576, 512K, 64M or 1G (0: never)"
                )
            }
        }
        _ = try Self.seconds(self.gracePeriod, "--grace-period")
        guard self.maxFrameSize >= 64 else { throw ValidationError("--max-frame-size must be >= 64 bytes") }
        guard self.flushEvery >= 1 else { throw ValidationError("--flush-every must be >= 1") }
        guard self.maxCallsPerConnection >= 1 else { throw ValidationError("--max-calls-per-connection must be >= 1") }
        _ = try Self.seconds(self.countLogInterval, "--count-log-interval")

        // Registry
        switch (self.zk, self.noRegistry) {
        case (nil, false): throw ValidationError("give --zk HOST:PORT[,...] to register, or --no-registry")
        case (.some, true): throw ValidationError("--zk and --no-registry exclude each other")
        case (.some(let servers), false): try Self.validateZooKeeperServers(servers)
        case (nil, true):
            if self.zkRoot != nil { throw ValidationError("--zk-root needs --zk") }
            if self.zkSessionTimeout != nil { throw ValidationError("--zk-session-timeout needs --zk") }
            if self.weight != nil { throw ValidationError("--weight needs --zk (it is published in the registry)") }
        }
        if let root = self.zkRoot, !root.isEmpty {
            guard root.hasPrefix("/"), !root.hasSuffix("/"), !root.contains("//") else {
                throw ValidationError("--zk-root '\(root)' must be an absolute path like /krpc (no trailing slash)")
            }
        }
        if let timeout = self.zkSessionTimeout, try Self.seconds(timeout, "--zk-session-timeout") == .zero {
            throw ValidationError("--zk-session-timeout must be > 0 seconds")
        }
        if let weight = self.weight, !(1...10_000).contains(weight) {
            throw ValidationError("--weight must be 1...10000, got \(weight)")
        }

        // Redis
        switch (self.redis, self.noRedis) {
        case (nil, false): throw ValidationError("give --redis HOST:PORT to count calls, or --no-redis")
        case (.some, true): throw ValidationError("--redis and --no-redis exclude each other")
        case (.some, false): _ = try self.redisConfiguration()
        case (nil, true):
            if self.allowFaultInjection {
                throw ValidationError("--allow-fault-injection needs --redis (faults are Redis keys)")
            }
            if self.redisPassword != nil { throw ValidationError("--redis-password needs --redis") }
            if self.redisDb != nil { throw ValidationError("--redis-db needs --redis") }
        }
    }

    func run() async throws {
        // A reader of stdout that goes away (a script waiting for "listening on") must not kill the node.
        signal(SIGPIPE, SIG_IGN)
        let level = Self.level(named: self.logLevel) ?? .info
        let maxSize = LogSink.size(parsing: self.logMaxSize ?? Self.defaultLogMaxSize) ?? 0
        let sink =
            try self.logFile.map { path throws(LogFileError) in
                try LogSink(appendingTo: path, maxSize: maxSize > 0 ? maxSize : nil)
            } ?? .standardError
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, sink: sink, level: level) }
        var logger = Logger(label: "krpc-server")
        logger.logLevel = level

        let registry = try self.makeRegistry(logger: logger)
        let node = ServerNode(
            configuration: .init(
                host: self.host,
                port: self.port,
                advertisedHost: self.advertiseHost,
                gracePeriod: try Self.seconds(self.gracePeriod, "--grace-period"),
                maximumFrameLength: self.maxFrameSize,
                redis: try self.redisConfiguration(),
                allowFaultInjection: self.allowFaultInjection,
                countLogInterval: self.countLogInterval > 0 ? try Self.seconds(self.countLogInterval, "--count-log-interval") : nil,
                weight: self.weight ?? 1,
                flushEvery: self.flushEvery,
                maximumConcurrentCallsPerConnection: self.maxCallsPerConnection,
                metricsPort: self.metricsPort,
                tracing: self.tracing,
                logger: logger
            ),
            registry: registry
        )
        try await node.run()
    }

    // MARK: Parsing helpers

    /// The log file size past which it rotates when `--log-max-size` is not given.
    static let defaultLogMaxSize = "64M"

    /// An option in seconds as a duration: a number from 0 to a year, or an error naming the option.
    static func seconds(_ value: Double, _ name: String) throws(ValidationError) -> Duration {
        guard let duration = Duration(optionSeconds: value) else {
            throw ValidationError("\(name) must be 0...\(Int(Duration.longestOptionSeconds)) seconds, got \(value)")
        }
        return duration
    }

    /// Whether `host` is a host name or IP address (an IPv6 one with or without brackets).
    static func isHost(_ host: String) -> Bool {
        NodeAddress(parsing: host.contains(":") ? "[\(host)]:1" : "\(host):1") != nil
    }

    /// `0.0.0.0`, `::` and the like: a bind address meaning every interface, not one to call.
    static func isWildcard(_ host: String) -> Bool {
        ["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"].contains(host)
    }

    /// swift-log's levels, plus `demo` (the seed's demo level, where Login passwords are logged): `trace`.
    static func level(named name: String) -> Logger.Level? {
        if name.lowercased() == "demo" { return .trace }
        return Logger.Level(rawValue: name.lowercased())
    }

    /// `HOST:PORT[,HOST:PORT...]`, optionally followed by a chroot path as the C client allows.
    static func validateZooKeeperServers(_ servers: String) throws {
        let hosts = servers.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !hosts.isEmpty else { throw ValidationError("--zk must not be empty (e.g. 127.0.0.1:2181)") }
        for entry in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            guard NodeAddress(parsing: entry) != nil else {
                throw ValidationError("--zk entry '\(entry)' is not HOST:PORT (e.g. 127.0.0.1:2181)")
            }
        }
    }

    /// The Redis configuration from `--redis`, `--redis-password` (or `KRPC_REDIS_PASSWORD`), `--redis-db`.
    func redisConfiguration() throws -> RedisConfiguration? {
        guard let address = self.redis else { return nil }
        var configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(address: address)
        } catch {
            throw ValidationError("--redis '\(address)' is not HOST:PORT (e.g. 127.0.0.1:6379)")
        }
        configuration.password = self.redisPassword ?? Self.environment("KRPC_REDIS_PASSWORD")
        configuration.database = self.redisDb ?? 0
        do {
            try configuration.validate()
        } catch {
            throw ValidationError("--redis: \(error.message)")
        }
        return configuration
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
