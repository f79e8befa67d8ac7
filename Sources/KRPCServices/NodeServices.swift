package import KRPC
import KRPCPolicy
package import KRPCRedis
package import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

// The node's parts as lifecycle services. `ServerNode` runs them in one `ServiceGroup` in this order:
//
//     CallCounterService, CountLogService, FaultWatcherService, ListenerService, RegistrationService
//
// and the group shuts them down in reverse order, each one after the previous has returned: deregister
// first (clients stop picking the node), then drain the calls in flight, then stop reading the fault key,
// and flush the call counts last, so that the calls answered while draining are counted too.

/// Runs the ``KRPCServer``: binds, serves, and on shutdown stops accepting, drains (up to the grace
/// period) and returns. Task cancellation (a second signal, a failed sibling) also starts the drain:
/// the listener does not stop by itself when its task is cancelled.
package struct ListenerService: Service {
    let server: KRPCServer

    /// Runs `server`.
    package init(server: KRPCServer) {
        self.server = server
    }

    package func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await self.server.run()
        } onCancelOrGracefulShutdown: {
            self.server.beginGracefulShutdown()
        }
    }
}

/// Once the listener is up: prints `listening on HOST:PORT` (stdout, flushed; scripts wait for it), then
/// registers every method the server serves, retrying until ZooKeeper takes it. On shutdown it
/// deregisters before anything else stops.
package struct RegistrationService: Service {
    let server: KRPCServer
    let registry: RegistryHandle?
    let weight: Int
    /// Whether the node honors its fault key (published so dashboards can say why a fault does nothing).
    let faultInjection: Bool
    /// When the process started, seconds since the epoch (published as `started_at`).
    let startedAt: Int64
    let logger: Logger

    /// Registers `server`'s methods in `registry` (none: only prints the address) under `weight`.
    package init(
        server: KRPCServer,
        registry: RegistryHandle?,
        weight: Int,
        faultInjection: Bool,
        startedAt: Int64,
        logger: Logger
    ) {
        self.server = server
        self.registry = registry
        self.weight = weight
        self.faultInjection = faultInjection
        self.startedAt = startedAt
        self.logger = logger
    }

    package func run() async throws {
        print("listening on \(try await self.server.listeningAddress())")
        fflush(stdout)
        let address = try await self.server.nodeAddress()  // --advertise-host, or the bound host

        guard let registry = self.registry else {
            try await gracefulShutdown()
            return
        }
        let instance = ServiceInstance(
            address: address,
            weight: self.weight,
            pid: Int(getpid()),
            startedAt: self.startedAt,
            version: ServerVersion.current,
            faultInjection: self.faultInjection
        )
        let keys = self.server.serviceKeys
        _ = await cancelWhenGracefulShutdown {
            await Self.registerRetrying(instance, keys: keys, in: registry, logger: self.logger)
        }
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: still take the leaves down (below) before the process goes.
        }
        await Self.deregister(address, from: registry, logger: self.logger)
    }

    /// Registers until it works or the task is cancelled; returns whether it worked.
    private static func registerRetrying(
        _ instance: ServiceInstance,
        keys: [ServiceKey],
        in registry: RegistryHandle,
        logger: Logger
    ) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(500), max: .seconds(10), multiplier: 2, jitter: 0).makeIterator()
        var random = SystemRandomNumberGenerator()
        var delay = backoff.next(using: &random)
        while !Task.isCancelled {
            do {
                try await registry.registry.register(instance, under: keys)
                logger.info(
                    "registered",
                    metadata: [
                        "krpc.address": "\(instance.address)", "krpc.weight": "\(instance.weight)",
                        "krpc.methods": "\(keys.map(\.description).joined(separator: ","))",
                        "zk.servers": "\(registry.description)",
                    ]
                )
                return true
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "cannot register in the registry yet; serving anyway and retrying",
                    metadata: [
                        "zk.servers": "\(registry.description)", "error": "\(error)", "krpc.retry_in": "\(delay)",
                    ]
                )
                try? await Task.sleep(for: delay)
                delay = backoff.next(using: &random)
            }
        }
        return false
    }

    /// Deregisters, giving up after a few seconds (an unreachable ZooKeeper expires the session's
    /// leaves by itself).
    private static func deregister(_ address: NodeAddress, from registry: RegistryHandle, logger: Logger) async {
        let outcome: Result<Void, any Error>? = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    try await registry.registry.deregister(address)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(3))
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        switch outcome {
        case .success:
            logger.info("deregistered", metadata: ["krpc.address": "\(address)"])
        case .failure(let error):
            logger.warning(
                "cannot deregister; the leaves go when the ZooKeeper session ends",
                metadata: ["krpc.address": "\(address)", "error": "\(error)"]
            )
        case nil:
            logger.warning(
                "deregistering took over 3 s; the leaves go when the ZooKeeper session ends",
                metadata: ["krpc.address": "\(address)"]
            )
        }
    }
}

/// Every 100 ms hands the calls counted since the last time to the ``RedisCallCounter`` and flushes them
/// (one pipelined round trip); at shutdown hands over the last ones and flushes what remains (the counter
/// retries for up to 2 s, then logs what is lost).
package struct CallCounterService: Service {
    let server: KRPCServer
    let tally: CallTally
    let logger: Logger
    let interval: Duration

    /// Flushes `tally`'s counts (under `server`'s address) every `interval`.
    package init(server: KRPCServer, tally: CallTally, logger: Logger, interval: Duration = .milliseconds(100)) {
        self.server = server
        self.tally = tally
        self.logger = logger
        self.interval = interval
    }

    package func run() async throws {
        let counter = self.tally.counter
        let node = try await self.server.nodeAddress()  // the calls are counted under it
        let stop = StopFlag()
        await withGracefulShutdownHandler {
            await self.checkRedis()
            while !stop.isSet {
                do {
                    try await Task.sleep(for: self.interval)
                } catch {
                    break
                }
                self.tally.handOver(node: node)
                do throws(RedisError) {
                    try await counter.flushOrCheckMarker()
                } catch {
                    // The client logs the connection going down once; counts stay in memory until it is back.
                    self.logger.debug(
                        "count flush failed; counts kept in memory", metadata: ["redis.error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            stop.set()
        }
        // The listener has drained (it shuts down before this service): these are the last calls.
        self.tally.handOver(node: node)
        counter.beginGracefulShutdown()
        await counter.run()  // flushes what remains and returns
        let statistics = counter.statistics
        self.logger.info(
            "call counts flushed",
            metadata: [
                "krpc.flushed_calls": "\(statistics.flushedCalls)",
                "krpc.flushed_errors": "\(statistics.flushedErrors)",
                "krpc.lost_calls": "\(statistics.waitingCalls + statistics.droppedCalls)",
                "krpc.restored_calls": "\(statistics.restoredCalls)",
            ]
        )
    }

    /// A Redis that is down at start is not fatal: say so once, count in memory, flush when it is back.
    private func checkRedis() async {
        let client = self.tally.counter.client
        do throws(RedisError) {
            try await client.connect()  // the client logs "redis connected"
        } catch {
            self.logger.warning(
                "redis unreachable at start; counting in memory and retrying",
                metadata: ["redis.address": "\(client.configuration.address)", "redis.error": "\(error)"]
            )
        }
    }
}

/// Logs the cluster-wide count now and then, as the seed does: `Current login request count: N`.
package struct CountLogService: Service {
    let counter: RedisCallCounter
    let keys: [ServiceKey]
    let interval: Duration

    /// Logs the cluster-wide count of each of `keys` every `interval`.
    package init(counter: RedisCallCounter, keys: [ServiceKey], interval: Duration) {
        self.counter = counter
        self.keys = keys
        self.interval = interval
    }

    package func run() async throws {
        let counter = self.counter
        let keys = self.keys
        let interval = self.interval
        await cancelWhenGracefulShutdown {
            await counter.logTotals(of: keys, every: interval)
        }
    }
}

/// Once the listener is up (the key names the bound port): polls `krpc:fault:<host:port>` and hands the
/// watcher to the server's fault source.
package struct FaultWatcherService: Service {
    let server: KRPCServer
    let client: RedisClient
    let faults: DeferredFaultSource
    let honor: Bool
    let logger: Logger

    /// Watches `server`'s fault key through `client` and hands the watcher to `faults`; `honor` says
    /// whether faults apply (else they are only reported).
    package init(server: KRPCServer, client: RedisClient, faults: DeferredFaultSource, honor: Bool, logger: Logger) {
        self.server = server
        self.client = client
        self.faults = faults
        self.honor = honor
        self.logger = logger
    }

    package func run() async throws {
        let address = try await self.server.nodeAddress()
        let watcher = RedisFaultWatcher(client: self.client, node: address, honor: self.honor, logger: self.logger)
        self.faults.set(watcher)
        self.logger.info(
            self.honor ? "fault injection on" : "fault injection off",
            metadata: ["redis.key": "\(RedisKeys.fault(address))"]
        )
        await cancelWhenGracefulShutdown {
            await watcher.run()
        }
    }
}

/// A flag one task sets and another polls.
private final class StopFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { self.value.load(ordering: .acquiring) }
    func set() { self.value.store(true, ordering: .releasing) }
}
