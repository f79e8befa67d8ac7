import Foundation
#if canImport(Glibc)
import Glibc
#endif
public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
public import Logging
public import NIOPosix
import Synchronization

/// krpc-top's whole collection side for one run: one registry session shared by everything, the services view's
/// poller, the node detail's reader, and the ``TopStack`` (load, probes, breakers) of the method being called —
/// replaced by another method's stack when the services view opens it.
///
/// ```swift
/// let session = try TopSession(settings: settings, initialKey: nil, logger: logger)  // the services view first
/// await session.run(deliver: { ui.post($0) }) { await ui.run() }
/// session.select(ServiceKey(service: "Echo", method: "Echo"))                       // Enter on a method
/// ```
public final class TopSession: Sendable {
    private struct Current {
        var stack: TopStack
        var stop: AsyncStream<Void>.Continuation
        var task: Task<Void, Never>
    }

    private struct State {
        var current: Current?
        /// A stack built but not started yet (the initial one, before ``run(deliver:_:)``).
        var initial: TopStack?
        /// Healthy nodes seen at the last look, per method this client called.
        var seenHealthy: [ServiceKey: Int] = [:]
        /// One state per second per node of the current method.
        var timelines: [NodeAddress: StateTimeline] = [:]
        var timelineKey: ServiceKey?
        var lastSecond: ContinuousClock.Instant?
        var history = ClusterHistory()
        /// Failures per node of the current method, since it was opened.
        var failures = FailureLog()
        var watchedDetail: NodeAddress?
    }

    /// The settings (the service and method of each stack are replaced by the one selected).
    public let settings: TopSettings
    /// The registry every stack shares.
    public let registry: RegistryHandle
    /// The session's own Redis client (services counts, fault keys, the detail's fault TTL); `nil` without Redis.
    public let redis: RedisClient?
    /// Sets and clears fault keys (the dashboard's e t d c).
    public let injector: FaultInjector?
    /// The services view's poller.
    public let services: ServicesPoller
    /// The node detail's reader.
    public let details: NodeDetailReader
    /// Every client's fleet view, read once a second for every screen (each method's stack asks it); `nil`
    /// without Redis.
    public let fleet: FleetWatcher?
    /// The fleet reader's own Redis client.
    private let fleetRedis: RedisClient?
    /// One thread for the collection side: the services and fleet reads, each method's Redis poller and fleet
    /// publishing, and the snapshot delivery, each waiting on this loop's timer on the refresh grid. A turn of any
    /// of them wakes this thread alone (krpc-top's own CPU is mostly wake-ups, README Performance). The calls have
    /// a loop of their own (``TopStack/callLoopGroup``): their latency is not spent waiting behind a snapshot.
    public let collectionLoopGroup: MultiThreadedEventLoopGroup
    private let collectionExecutor: EventLoopTaskExecutor
    /// How the collection loops wait: ``collectionLoopGroup``'s timer, on the refresh grid, half a step after the
    /// calls'.
    private let collectionSleep: TopSleep
    private let logger: Logger
    private let keys: AsyncStream<ServiceKey>
    private let keysContinuation: AsyncStream<ServiceKey>.Continuation
    private let state: Mutex<State>

    /// Opens the registry and Redis; with `initialKey`, builds that method's stack (started by ``run(deliver:_:)``).
    /// - Throws: ``TopError`` for a bad configuration.
    public init(settings: TopSettings, initialKey: ServiceKey?, logger: Logger) throws(TopError) {
        self.settings = settings
        self.logger = logger
        let loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var made = false
        defer { if !made { loopGroup.shutdownGracefully { _ in } } }  // init threw: nothing else will stop it
        self.collectionLoopGroup = loopGroup
        let loop = loopGroup.next()
        self.collectionExecutor = EventLoopTaskExecutor(eventLoop: loop)
        let sleep = TopSleeps.collecting(on: loop, refresh: settings.refreshInterval)
        self.collectionSleep = sleep
        if let address = settings.redis {
            do {
                let client = try RedisClient(
                    configuration: try RedisConfiguration(address: address), logger: Logger(label: "krpc.redis"))
                self.redis = client
                self.injector = FaultInjector(client: client)
                // A client of its own: the fleet's SCAN/MGET never queue behind the services' reads.
                let fleetClient = try RedisClient(
                    configuration: try RedisConfiguration(address: address),
                    logger: Logger(label: "krpc.redis.fleet"))
                self.fleetRedis = fleetClient
                self.fleet = FleetWatcher(
                    reader: FleetViewReader(client: fleetClient, logger: logger),
                    clientID: FleetClientID.current(name: "krpc-top", host: settings.clientHost), sleep: sleep)
            } catch {
                throw TopError("--redis \(address): \(error)")
            }
        } else {
            self.redis = nil
            self.injector = nil
            self.fleetRedis = nil
            self.fleet = nil
        }
        let registry = try RegistryHandle.make(settings.registry, logger: logger)
        self.registry = registry
        var initial: TopStack?
        if let initialKey {
            do {
                initial = try TopStack(
                    settings: Self.settings(settings, for: initialKey), sharedRegistry: registry,
                    sharedFleet: self.fleet, readLoop: self.collectionExecutor, logger: logger)
            } catch {
                Task { await registry.close() }
                throw error
            }
        }
        self.services = ServicesPoller(
            list: ServicesPoller.lister(for: registry, fixed: settings.registry), redis: self.redis,
            interval: .seconds(1), rateWindow: settings.window, sleep: sleep)
        self.details = NodeDetailReader(
            registry: registry.registry, redis: self.redis, wallClock: { Date().timeIntervalSince1970 })
        (self.keys, self.keysContinuation) = AsyncStream.makeStream(of: ServiceKey.self)
        self.state = Mutex(State(initial: initial))
        made = true
    }

    /// The stack of the method being called, if any.
    public var current: TopStack? { self.state.withLock { $0.current?.stack ?? $0.initial } }

    /// Calls `key` from now on: the current stack stops and `key`'s starts (keeping the rate, pause and balancer).
    /// Returns at once; the switch happens in ``run(deliver:_:)``'s task.
    public func select(_ key: ServiceKey) {
        self.keysContinuation.yield(key)
    }

    /// Reads the node detail of `address` (of the current method) until called with `nil`.
    public func watchDetail(_ address: NodeAddress?) {
        let stack = self.current
        self.state.withLock { $0.watchedDetail = address }
        guard let address, let stack else {
            self.details.stop()
            return
        }
        self.details.watch(NodeDetailReader.Target(key: stack.key, address: address, channel: stack.channel))
    }

    /// Everything the dashboard shows, now: the current method's snapshot, the services, the detail, the history.
    public func makeSnapshot() -> DashboardSnapshot {
        let stack = self.current
        var snapshot: DashboardSnapshot
        if let stack {
            snapshot = stack.collector.makeSnapshot()
        } else {
            snapshot = DashboardSnapshot(
                service: "", method: "", window: WindowFigures(length: self.settings.window),
                zookeeper: self.registry.usesZooKeeper ? Self.link(self.registry.registry.state) : .disabled,
                zookeeperSessionTimeout: self.registry.sessionTimeout(),
                redis: self.redis.map { Self.link($0.state) } ?? .disabled,
                utcOffsetSeconds: TimeZone.current.secondsFromGMT())
        }
        let reading = self.services.reading
        let detail = self.details.detail
        let now = ContinuousClock.now
        let key = stack?.key
        let wallTime = Date().timeIntervalSince1970
        let (seen, timeline, failures, history) = self.state.withLock { s in
            if let key {
                s.seenHealthy[key] = snapshot.nodes.count { $0.state == .healthy }
                if s.timelineKey != key {
                    s.timelineKey = key
                    s.timelines = [:]
                    s.failures = FailureLog()
                }
            }
            // Once a second: a timeline sample per node, a history sample for the graphs.
            if s.lastSecond.map({ now - $0 >= .seconds(1) }) ?? true {
                s.lastSecond = now
                var listed = Set<NodeAddress>()
                for node in snapshot.nodes {
                    listed.insert(node.address)
                    s.timelines[node.address, default: StateTimeline()].append(node.state)
                }
                for address in s.timelines.keys where !listed.contains(address) { s.timelines[address]?.append(nil) }
                s.history.append(
                    callRate: reading.totalRate, errorPercent: reading.totalErrorPercent,
                    p99Microseconds: snapshot.window.p99Microseconds)
                if let stack {
                    // The channel's failure counts and last errors: one copy of its node list a second.
                    let nodes = stack.channel.snapshot().nodes.map {
                        (address: $0.address, failures: $0.failures, lastError: $0.lastError)
                    }
                    s.failures.observe(nodes, at: wallTime)
                }
            }
            return (
                s.seenHealthy, detail.flatMap { s.timelines[$0.address] },
                detail.map { s.failures.failures(of: $0.address) } ?? [], s.history
            )
        }
        // The fleet per method: every other client's views, summed once per read, plus this client's live view.
        let fleet = self.fleet
        let tallies = fleet?.tallies(ownKey: key, nodes: snapshot.nodes)
        snapshot.services = reading.services.map { row in
            var row = row
            let rowKey = ServiceKey(service: row.service, method: row.method)
            row.seenHealthy = seen[rowKey]
            if fleet != nil {
                // Before the first read or after a failed one: unknown (`-`); a method nobody calls: no views.
                row.fleet = tallies.map { $0[rowKey] ?? FleetTally() } ?? .unknown
            }
            return row
        }
        snapshot.servicesProblem = reading.problem
        snapshot.history = history
        if var detail {
            detail.timeline = timeline ?? StateTimeline()
            detail.failures = failures
            snapshot.detail = detail
        }
        return snapshot
    }

    /// ``makeSnapshot()`` plus what publishing the fleet view has cost so far (`--once --json`'s
    /// `fleet_publish`): read here, once, rather than at every refresh.
    public func makeReportSnapshot() -> DashboardSnapshot {
        var snapshot = self.makeSnapshot()
        snapshot.fleetPublish = self.fleetPublishCost()
        return snapshot
    }

    /// The current stack's publisher's CPU time (its own work and its SETs' on the Redis client's thread), next to
    /// the process's CPU time;
    /// `nil` when nothing publishes.
    public func fleetPublishCost() -> FleetPublishCost? {
        guard let stack = self.current, let publisher = stack.publisher else {
            return nil
        }
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        var usage = rusage()
        let process: Double
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            process = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000
        } else {
            process = 0
        }
        return FleetPublishCost(
            cpuMilliseconds: ms(publisher.cpuTime), processCPUMilliseconds: process,
            publishes: publisher.publishedCount)
    }

    /// Runs the services poller, the current method's stack and (with `deliver`) a snapshot every refresh while
    /// `body` runs; then stops everything and closes the registry and Redis.
    public func run<T: Sendable>(
        deliver: (@Sendable (DashboardSnapshot) -> Void)?, _ body: () async -> T
    ) async -> T {
        let services = self.services
        let registry = self.registry
        let registryTask = Task { await registry.run() }  // keeps the session until close()
        let loop = self.collectionExecutor
        let servicesTask = Task(executorPreference: loop) { await services.run() }
        let fleet = self.fleet
        let fleetTask = Task(executorPreference: loop) { await fleet?.run() }
        if let initial = self.state.withLock({ s in defer { s.initial = nil }; return s.initial }) {
            self.start(initial)
        }
        let switcher = Task {
            for await key in self.keys {
                await self.switchTo(key)
            }
        }
        let interval = self.settings.refreshInterval
        let sleep = self.collectionSleep
        let deliverTask = Task(executorPreference: loop) {
            guard let deliver else { return }
            while !Task.isCancelled {
                let start = ContinuousClock.now
                deliver(self.makeSnapshot())
                do { try await sleep(start + interval) } catch { break }
            }
        }
        let result = await body()

        self.keysContinuation.finish()
        deliverTask.cancel()
        servicesTask.cancel()
        fleetTask.cancel()
        self.details.stop()
        await switcher.value
        await self.stopCurrent()
        await deliverTask.value
        await servicesTask.value
        await fleetTask.value
        await self.redis?.shutdown()
        await self.fleetRedis?.shutdown()
        await self.registry.close()  // ends registry.run()
        await registryTask.value
        try? await self.collectionLoopGroup.shutdownGracefully()
        return result
    }

    // MARK: Switching

    private func switchTo(_ key: ServiceKey) async {
        let previous = self.current
        guard previous?.key != key else { return }
        var settings = Self.settings(self.settings, for: key)
        if let previous {
            settings.rate = previous.load.rate
            settings.balancer = previous.channel.snapshot().balancer
        }
        let paused = previous?.load.isPaused ?? false
        self.details.stop()
        await self.stopCurrent()
        do {
            let stack = try TopStack(
                settings: settings, sharedRegistry: self.registry, sharedFleet: self.fleet,
                readLoop: self.collectionExecutor, logger: self.logger)
            if paused { stack.load.setPaused(true) }
            self.start(stack)
            self.logger.info("calling another method", metadata: ["top.key": "\(key)"])
        } catch {
            self.logger.warning("method not opened", metadata: ["top.key": "\(key)", "error": "\(error)"])
        }
    }

    private func start(_ stack: TopStack) {
        let (stop, stopContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            await stack.run(deliver: nil) {
                for await _ in stop {}
            }
        }
        self.state.withLock { $0.current = Current(stack: stack, stop: stopContinuation, task: task) }
    }

    private func stopCurrent() async {
        guard let current = self.state.withLock({ s in defer { s.current = nil }; return s.current }) else { return }
        current.stop.finish()
        await current.task.value
    }

    /// `settings` calling `key`.
    static func settings(_ settings: TopSettings, for key: ServiceKey) -> TopSettings {
        var settings = settings
        settings.service = key.service
        settings.method = key.method
        return settings
    }

    static func link(_ state: RegistryState) -> LinkState {
        SnapshotCollector.link(state)
    }

    static func link(_ state: RedisConnectionState) -> LinkState {
        switch state {
        case .connected: .connected
        case .connecting: .connecting
        case .disconnected, .shutDown: .disconnected
        }
    }
}
