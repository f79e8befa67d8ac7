import KRPC
import KRPCMetrics
import KRPCPolicy
import KRPCRedis
import KRPCServices
import KRPCTracing
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One krpc node: a ``KRPCServer`` serving `UserServiceRpc.Login`, `Echo.Echo`, `Health.Check` (and the
/// built-in `Stats.Get`), with its call counts in Redis, its fault key watched, and its methods registered.
///
/// Lifecycle: bind → print `listening on HOST:PORT` → register; on SIGINT/SIGTERM → deregister → drain
/// (up to the grace period) → stop watching faults → flush the counts → close Redis and the registry →
/// return (the process exits 0).
struct ServerNode {
    struct Configuration: Sendable {
        var host: String
        var port: Int
        /// The host it registers and counts under, if not `host` (`--advertise-host`).
        var advertisedHost: String?
        var gracePeriod: Duration
        var maximumFrameLength: Int
        /// Redis, or `nil` for `--no-redis`.
        var redis: RedisConfiguration?
        var allowFaultInjection: Bool
        /// How often to log the cluster-wide Login count; `nil` = never.
        var countLogInterval: Duration?
        var weight: Int
        /// Flush the socket after this many queued responses (see KRPCServer.Configuration.flushEvery).
        var flushEvery: Int
        /// See KRPCServer.Configuration.maximumConcurrentCallsPerConnection.
        var maximumConcurrentCallsPerConnection: Int
        /// Serve `/metrics` on this port (0: any free one), on `host`; `nil` = no metrics (`--metrics-port`).
        var metricsPort: Int?
        /// `--tracing`: serve every call through ``KRPCServerTracingInterceptor``.
        var tracing: Bool = false
        var logger: Logger
    }

    let configuration: Configuration
    let registry: RegistryHandle?

    func run() async throws {
        let startedAt = Int64(time(nil))
        let configuration = self.configuration
        let logger = configuration.logger
        let login = ServiceKey(service: UserServiceRpc.name, method: UserServiceRpc.login)

        let services: [any KRPCService] = [DemoUserService(), EchoService(), HealthService()]
        var redisClient: RedisClient?
        var tally: CallTally?
        let faults = DeferredFaultSource()
        if let redis = configuration.redis {
            let client = try RedisClient(configuration: redis, logger: logger)
            redisClient = client
            let keys = services.flatMap { service in
                service.methods.map { ServiceKey(service: service.serviceName, method: $0.name) }
            }
            tally = CallTally(keys: keys, counter: RedisCallCounter(client: client, logger: logger))
        }

        // Bootstrapped before the server is made: its interceptor's metrics are made in the Prometheus registry.
        let metrics = configuration.metricsPort.map { _ in
            ServerMetricsEndpoint.bootstrap(methods: services.flatMap { service in
                service.methods.map { ServiceKey(service: service.serviceName, method: $0.name) }
            })
        }

        let server = KRPCServer(
            configuration: .init(
                host: configuration.host,
                port: configuration.port,
                advertisedHost: configuration.advertisedHost,
                maximumFrameLength: configuration.maximumFrameLength,
                gracePeriod: configuration.gracePeriod,
                flushEvery: configuration.flushEvery,
                maximumConcurrentCallsPerConnection: configuration.maximumConcurrentCallsPerConnection,
                logger: logger,
                // Without --allow-fault-injection the key is still watched (to warn that it is ignored), but
                // no call asks about it.
                faultSource: configuration.redis != nil && configuration.allowFaultInjection ? faults : nil,
                counters: tally,
                // Tracing outermost (its span covers the whole call), then metrics.
                interceptors: (configuration.tracing ? [KRPCServerTracingInterceptor()] : [])
                    + (metrics.map { [KRPCServerMetricsInterceptor($0.metrics)] } ?? [])
            ),
            services: services
        )

        var lifecycle: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let metrics, let port = configuration.metricsPort {
            // First, so that it stops last: a scrape during the drain still answers.
            lifecycle.append(
                .init(
                    service: metrics.httpServer(host: configuration.host, port: port, logger: logger),
                    serviceName: "metrics"
                )
            )
        }
        if let client = redisClient, let tally {
            let counter = tally.counter
            lifecycle.append(
                .init(
                    service: CallCounterService(server: server, tally: tally, logger: logger),
                    serviceName: "call-counts"
                )
            )
            if let interval = configuration.countLogInterval {
                lifecycle.append(
                    .init(
                        service: CountLogService(counter: counter, keys: [login], interval: interval),
                        serviceName: "count-log"
                    )
                )
            }
            lifecycle.append(
                .init(
                    service: FaultWatcherService(
                        server: server,
                        client: client,
                        faults: faults,
                        honor: configuration.allowFaultInjection,
                        logger: logger
                    ),
                    serviceName: "fault-watcher"
                )
            )
        }
        lifecycle.append(.init(service: ListenerService(server: server), serviceName: "listener"))
        lifecycle.append(
            .init(
                service: RegistrationService(
                    server: server,
                    registry: self.registry,
                    weight: configuration.weight,
                    faultInjection: configuration.allowFaultInjection,
                    startedAt: startedAt,
                    logger: logger
                ),
                serviceName: "registration"
            )
        )

        var groupConfiguration = ServiceGroupConfiguration(
            services: lifecycle,
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger
        )
        // Deregistering (≤ 3 s) + draining (the grace period) + flushing (≤ 2 s), with room to spare.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.gracePeriod + .seconds(10)

        logger.info(
            "krpc-server starting",
            metadata: [
                "krpc.version": "\(ServerVersion.current)", "krpc.host": "\(configuration.host)",
                "krpc.port": "\(configuration.port)",
                "redis.address": "\(configuration.redis?.address ?? "off")",
                "zk.servers": "\(self.registry?.description ?? "off")",
                "krpc.fault_injection": "\(configuration.allowFaultInjection)",
            ]
        )
        let outcome: Result<Void, any Error> = await withTaskGroup(of: Void.self) { group in
            // The registry's session outlives the services (the registration service deregisters on shutdown).
            if let registry = self.registry { group.addTask { await registry.run() } }
            let outcome: Result<Void, any Error>
            do {
                try await ServiceGroup(configuration: groupConfiguration).run()
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await self.registry?.close()  // ends registry.run()
            return outcome
        }
        await redisClient?.shutdown()
        switch outcome {
        case .success:
            logger.info("krpc-server stopped")
        case .failure(let error):
            logger.error("krpc-server failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
