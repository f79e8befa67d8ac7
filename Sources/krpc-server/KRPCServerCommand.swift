import ArgumentParser
import KRPC
import KRPCPolicy
import Logging
import ServiceLifecycle

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
            Prints "listening on HOST:PORT" on stdout once it accepts connections. SIGINT or SIGTERM
            stop accepting, let calls in flight finish (up to the grace period), and exit 0.
            """
    )

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port: Int

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "ZooKeeper servers, HOST:PORT[,...] (not yet supported: use --no-registry).")
    var zk: String?

    @Flag(help: "Do not register in ZooKeeper.")
    var noRegistry = false

    @Option(help: "Redis server for call counts and fault keys, HOST:PORT (not yet supported: use --no-redis).")
    var redis: String?

    @Flag(help: "Do not count calls in Redis.")
    var noRedis = false

    @Flag(help: "Honor the fault key krpc:fault:<host:port> in Redis (not yet supported).")
    var allowFaultInjection = false

    @Option(help: "Weight published in the registry (not yet supported).")
    var weight: Int?

    @Option(help: "Write the log to this file (not yet supported; the log goes to stderr).")
    var logFile: String?

    @Option(help: "Log level: trace (shows Login passwords), debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Seconds calls in flight may take to finish on shutdown.")
    var gracePeriod: Double = 5

    @Option(help: "Largest frame accepted, in bytes.")
    var maxFrameSize: Int = 4 * 1024 * 1024

    @Option(help: "Flush responses after this many frames (and at the end of each event-loop tick).")
    var flushEvery: Int = 16

    func validate() throws {
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0...65535, got \(self.port)") }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard self.gracePeriod >= 0 else { throw ValidationError("--grace-period must be >= 0") }
        guard self.flushEvery >= 1 else { throw ValidationError("--flush-every must be >= 1") }
        guard self.maxFrameSize >= 64 else { throw ValidationError("--max-frame-size must be >= 64") }
        if self.zk != nil && self.noRegistry { throw ValidationError("--zk and --no-registry exclude each other") }
        if self.redis != nil && self.noRedis { throw ValidationError("--redis and --no-redis exclude each other") }
        if self.zk != nil { throw ValidationError("--zk: not yet supported (the registry comes with the server issue); use --no-registry") }
        if self.redis != nil {
            throw ValidationError("--redis: not yet supported (Redis counting comes with the server issue); use --no-redis")
        }
        if self.allowFaultInjection { throw ValidationError("--allow-fault-injection: not yet supported (needs --redis)") }
        if self.weight != nil { throw ValidationError("--weight: not yet supported (needs --zk)") }
        if self.logFile != nil { throw ValidationError("--log-file: not yet supported; the log goes to stderr") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "krpc-server")
        logger.logLevel = level

        let server = KRPCServer(
            configuration: .init(
                host: self.host,
                port: self.port,
                maximumFrameLength: self.maxFrameSize,
                gracePeriod: .milliseconds(Int64(self.gracePeriod * 1000)),
                flushEvery: self.flushEvery,
                logger: logger
            ),
            services: [UserService(), EchoService(), HealthService()]
        )
        let announce = Task {
            guard let address = try? await server.listeningAddress() else { return }
            print("listening on \(address)")
            fflush(stdout)
        }
        let group = ServiceGroup(
            services: [ServerService(server: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
        await announce.value
    }
}

/// Runs a ``KRPCServer`` as a lifecycle service: graceful shutdown on the group's signal.
struct ServerService: Service {
    let server: KRPCServer

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.server.run()
        } onGracefulShutdown: {
            self.server.beginGracefulShutdown()
        }
    }
}
