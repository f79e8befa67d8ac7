import Foundation
public import KRPC
public import KRPCMetrics
import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
public import Logging
import NIOCore
public import NIOPosix

/// The client stack krpc-top embeds, wired: registry → channel (balancer, breakers, probes, failover, hedging),
/// the load generator calling through it, the Redis client with its poller and fault injector, and the collector
/// that turns all of it into dashboard snapshots.
public struct TopStack: Sendable {
    public let key: ServiceKey
    public let registry: RegistryHandle
    public let channel: KRPCChannel
    public let load: LoadGenerator
    public let redis: RedisClient?
    public let poller: RedisPoller?
    public let injector: FaultInjector?
    /// The fleet reader's own Redis client when the stack runs its own ``fleet`` (its SCAN/MGET never queue behind
    /// the poller's reads); `nil` with a shared reader.
    public let fleetRedis: RedisClient?
    /// Publishes this client's view of the nodes (`krpc:view:*`); `nil` without Redis or with `--no-fleet-view`.
    public let publisher: FleetViewPublisher?
    /// Reads every client's view about once a second for the FLEET column; `nil` without Redis.
    public let fleet: FleetWatcher?
    /// Whether ``run(deliver:_:)`` runs ``fleet`` (it made it) or its owner does (krpc-top's session).
    public let ownsFleet: Bool
    public let ledger: CallLedger
    /// The channel's Prometheus metrics (through swift-metrics), with `--metrics-port`; `nil` without. (Its calls
    /// are counted by a ``KRPCClientMetricsInterceptor`` on the channel.)
    public let metrics: KRPCChannelMetrics?
    public let collector: SnapshotCollector
    public let refreshInterval: Duration
    public let logger: Logger
    /// One thread for the whole call path: the load generator's tasks, the channel's attempts and
    /// timers, and every node connection. A call then wakes no other thread, and nothing else runs there: the
    /// latency measured is the calls' own, not time spent waiting behind a snapshot.
    public let callLoopGroup: MultiThreadedEventLoopGroup
    /// Where the stack's periodic reads (Redis, the fleet) run and sleep: krpc-top's collection loop, or the call
    /// loop for a stack alone.
    public let readExecutor: EventLoopTaskExecutor
    /// Whether ``run(deliver:_:)`` closes the registry when it ends (it made it).
    public let ownsRegistry: Bool

    /// Builds the stack; nothing runs until ``run(deliver:_:)``.
    /// - Throws: ``TopError`` for a bad configuration (an address, a balancer, the registry).
    public init(settings: TopSettings, logger: Logger) throws(TopError) {
        try self.init(settings: settings, sharedRegistry: nil, logger: logger)
    }

    /// Builds the stack over a registry it does not own (krpc-top's session shares one ZooKeeper session between
    /// the services view and the stack of each method it calls): ``run(deliver:_:)`` then leaves it open.
    /// - Throws: ``TopError`` for a bad configuration (an address, a balancer, the registry).
    ///
    /// With `sharedFleet` (krpc-top's session reads the fleet once for every view) the stack reads no fleet of its
    /// own: its collector asks `sharedFleet`, which its owner runs. With `readLoop` the stack's periodic reads run
    /// on that executor's loop (krpc-top's collection loop); without, on the stack's call loop.
    public init(
        settings: TopSettings, sharedRegistry: RegistryHandle?, sharedFleet: FleetWatcher? = nil,
        readLoop: EventLoopTaskExecutor? = nil, logger: Logger
    ) throws(TopError) {
        self.ownsRegistry = sharedRegistry == nil
        let key = ServiceKey(service: settings.service, method: settings.method)
        self.key = key
        self.logger = logger
        self.refreshInterval = settings.refreshInterval

        var configuration = KRPCChannel.Configuration()
        configuration.balancer = settings.balancer
        configuration.failover = settings.failover ? FailoverPolicy() : nil
        configuration.hedging = settings.hedgeDelay.map { HedgingPolicy(delay: $0) }
        configuration.defaultDeadline = settings.deadline
        // Breakers are ticked (and due probes sent) once per refresh: the screen shows nothing finer.
        configuration.tickInterval = settings.refreshInterval
        configuration.logger = Logger(label: "krpc.channel")
        // Every attempt feeds the per-node windows and totals; every logical call (below) the caller's window.
        let ledger = CallLedger(window: settings.window)
        self.ledger = ledger
        let metrics = settings.metricsPort.map { _ in KRPCChannelMetrics(key: key) }
        self.metrics = metrics
        if let metrics {
            configuration.attemptObserver = { report in
                ledger.observe(report)
                metrics.record(report)
            }
            configuration.interceptors.append(
                KRPCClientMetricsInterceptor(KRPCCallMetrics(.client, methods: [key])))
        } else {
            configuration.attemptObserver = { ledger.observe($0) }
        }
        do {
            try configuration.validate()
        } catch {
            throw TopError("invalid client configuration: \(error)")
        }
        if let address = settings.redis {
            let redisConfiguration: RedisConfiguration
            let client: RedisClient
            do {
                redisConfiguration = try RedisConfiguration(address: address)
                client = try RedisClient(configuration: redisConfiguration, logger: Logger(label: "krpc.redis"))
            } catch {
                throw TopError("--redis \(address): \(error)")
            }
            self.redis = client
            self.injector = FaultInjector(client: client)
            // A client of its own for the fleet's SCAN/MGET, when the stack reads the fleet itself. The publisher's
            // one SET a second shares the poller's client: its thread is awake ten times a second anyway (a thread
            // of its own woke once a second, from cold, for most of the publishing cost).
            if sharedFleet == nil {
                do {
                    self.fleetRedis = try RedisClient(
                        configuration: redisConfiguration, logger: Logger(label: "krpc.redis.fleet"))
                } catch {
                    throw TopError("--redis \(address): \(error)")
                }
            } else {
                self.fleetRedis = nil
            }
        } else {
            self.redis = nil
            self.injector = nil
            self.fleetRedis = nil
        }
        // The registry (a ZooKeeper session and its threads) is made after every check that can fail without
        // it: nothing closes it when init throws. A RedisClient dropped here stops its own thread.
        if let sharedRegistry {
            self.registry = sharedRegistry
        } else {
            self.registry = try RegistryHandle.make(settings.registry, logger: logger)
        }

        // Created once nothing below can throw: a thrown error would leave its thread running.
        let callLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.callLoopGroup = callLoopGroup
        let channel = KRPCChannel(
            key: key, registry: self.registry.registry, configuration: configuration, eventLoopGroup: callLoopGroup
        )
        self.channel = channel
        let clientID = FleetClientID.current(name: "krpc-top", host: settings.clientHost)
        let callLoop = channel.homeEventLoop
        let readExecutor = readLoop ?? EventLoopTaskExecutor(eventLoop: callLoop)
        self.readExecutor = readExecutor
        // How the periodic reads and the publisher wait: that loop's timer, on the collection grid.
        let readSleep = TopSleeps.collecting(on: readExecutor.eventLoop, refresh: settings.refreshInterval)
        let fleet = sharedFleet ?? self.fleetRedis.map { client in
            FleetWatcher(
                reader: FleetViewReader(client: client, logger: logger), clientID: clientID,
                sleep: readSleep)
        }
        self.fleet = fleet
        self.ownsFleet = sharedFleet == nil

        let deadline = settings.deadline
        let call: @Sendable () async -> Void
        if key.service == UserServiceRpc.name && key.method == UserServiceRpc.login {
            let users = UserServiceClient(channel)
            // The seed's demo login.
            call = {
                let start = ContinuousClock.now
                do {
                    _ = try await users.login(name: "zhangsan", pwd: "123456", deadline: deadline)
                    ledger.recordCall(started: start, error: nil)
                } catch {
                    ledger.recordCall(started: start, error: error)
                }
            }
        } else {
            // Any other method gets an empty message: every field at its default.
            call = {
                let start = ContinuousClock.now
                do {
                    _ = try await channel.call(
                        service: key.service, method: key.method, payload: [], deadline: deadline)
                    ledger.recordCall(started: start, error: nil)
                } catch {
                    ledger.recordCall(started: start, error: error)
                }
            }
        }
        self.load = LoadGenerator(
            rate: settings.rate, wakeInterval: settings.batchInterval,
            // Batches on their own grid: with the default 100 ms, the refresh's (one wake-up for both).
            sleep: TopSleeps.onGrid(of: callLoop, step: settings.batchInterval),
            call: call)

        // The poller reads the fault keys of the nodes the collector last saw; the collector reads the poller.
        let nodes = NodeListBox()
        let poller = self.redis.map { client in
            RedisPoller(
                key: key, reader: RedisDashboardReader(client: client), interval: settings.refreshInterval,
                rateWindow: settings.window, nodes: { nodes.nodes }, wallClock: { Date().timeIntervalSince1970 },
                sleep: readSleep)
        }
        self.poller = poller
        let registry = self.registry
        let collector = SnapshotCollector(
            sources: SnapshotCollector.Sources(
                key: key, channel: channel, load: self.load, poller: poller, ledger: ledger,
                usesZooKeeper: registry.usesZooKeeper,
                sessionTimeout: { registry.sessionTimeout() },
                wallClock: { Date().timeIntervalSince1970 },
                utcOffsetSeconds: TimeZone.current.secondsFromGMT(),
                fleet: fleet
            ))
        nodes.source = collector
        self.collector = collector
        // On the collection grid, from the channel snapshot the dashboard took at most 1.5 refreshes ago (taken
        // afresh when none is that recent).
        let snapshotAge = settings.refreshInterval * 3 / 2
        self.publisher = self.redis.flatMap { client in
            settings.publishesFleetView
                ? FleetViewPublisher(
                    client: client, clientID: clientID, logger: logger,
                    sleep: readSleep,
                    snapshots: { [collector.recentChannelSnapshot(maxAge: snapshotAge) ?? channel.snapshot()] })
                : nil
        }
    }

    /// Runs the stack's tasks while `body` runs, then stops them and closes the connections.
    /// - Parameters:
    ///   - deliver: Receives each snapshot the collector builds.
    ///   - body: What to do while the stack runs (the UI, or waiting `--duration`).
    public func run<T: Sendable>(
        deliver: (@Sendable (DashboardSnapshot) -> Void)?,
        _ body: () async -> T
    ) async -> T {
        let channel = self.channel
        let load = self.load
        let poller = self.poller
        let collector = self.collector
        let interval = self.refreshInterval
        let registry = self.registry
        // A shared registry is run (and closed) by its owner.
        let registryTask = self.ownsRegistry ? Task { await registry.run() } : nil
        let channelTask = Task { await channel.run() }
        // Pinned to the call loop: the generator's ticks and its call tasks (children, which inherit the
        // preference) run on the thread of the connections.
        let loadTask = Task(executorPreference: channel.executor) { await load.run() }
        // The periodic reads on theirs: their turns and their replies wake that loop's thread, not the pool's.
        let loop = self.readExecutor
        let pollerTask = Task(executorPreference: loop) { await poller?.run() }
        let publisher = self.publisher
        let fleet = self.ownsFleet ? self.fleet : nil
        let publisherTask = Task(executorPreference: loop) { await publisher?.run() }
        let fleetTask = Task(executorPreference: loop) { await fleet?.run() }
        let metrics = self.metrics
        let metricsTask = Task(executorPreference: loop) { await metrics?.run(channel: channel) }
        // Without `deliver` the caller builds snapshots itself (``SnapshotCollector/makeSnapshot()``).
        let collectorTask = Task {
            guard let deliver else { return }
            await collector.run(interval: interval, deliver: deliver)
        }
        let result = await body()

        self.logger.info("shutting down")
        loadTask.cancel()
        collectorTask.cancel()
        pollerTask.cancel()
        publisherTask.cancel()
        fleetTask.cancel()
        metricsTask.cancel()
        channelTask.cancel()
        await loadTask.value
        await collectorTask.value
        await pollerTask.value
        await publisherTask.value
        await fleetTask.value
        await metricsTask.value
        await channelTask.value
        await self.redis?.shutdown()
        await self.fleetRedis?.shutdown()
        if self.ownsRegistry {
            await self.registry.close()  // ends registry.run()
        }
        await registryTask?.value
        try? await self.callLoopGroup.shutdownGracefully()
        self.logger.info("stopped")
        return result
    }
}

/// Lets the poller ask for the collector's node list, which exists only after the poller does.
///
/// `@unchecked Sendable`: `source` is written once, in ``TopStack/init(settings:logger:)``, before any task that
/// reads it starts.
private final class NodeListBox: @unchecked Sendable {
    var source: SnapshotCollector?
    var nodes: [NodeAddress] { self.source?.nodes ?? [] }
}
