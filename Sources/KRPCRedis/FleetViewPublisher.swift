public import KRPC
public import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Publishes this client's view of every node (``FleetView``) to `krpc:view:<client-id>` about once a
/// second, with a TTL, so that dashboards can show how the whole fleet of clients sees each node.
///
/// Opt-in: nothing is published unless a publisher runs. Publishing never touches calls: ``run()`` takes
/// a snapshot of each channel (a lock and a copy, the same the dashboard takes ten times a second), encodes
/// it, and hands one `SET key value PX ttl` to the ``RedisClient``, whose blocking hiredis work runs on its
/// own thread. When Redis is down the `SET` fails at once (the client backs off between reconnects), the
/// publisher logs the outage once and keeps trying each interval; calls go on as before. Use a client of
/// its own (or one shared only with other background work) so a slow Redis delays nothing else.
///
/// A client that stops publishing drops out when its key expires (``Configuration/timeToLive``, 3 s by
/// default). ``run()`` does not delete the key on exit: no task outlives it, and the TTL does the job.
///
/// ```swift
/// let publisher = FleetViewPublisher(
///     client: redis, clientID: .current(name: "krpc-top"), channels: [channel], logger: logger)
/// group.addTask { await publisher.run() }
/// ```
public final class FleetViewPublisher: Sendable {
    /// Tuning of a ``FleetViewPublisher``; every field has a default.
    public struct Configuration: Sendable, Hashable {
        /// How often the view is published.
        public var interval: Duration
        /// How long a published view lives without a refresh. Keep it a few intervals long.
        public var timeToLive: Duration
        /// How far back each node's error percentage looks.
        public var errorWindow: Duration

        /// Creates a configuration; every field has a default.
        public init(
            interval: Duration = .seconds(1),
            timeToLive: Duration = .seconds(3),
            errorWindow: Duration = .seconds(10)
        ) {
            self.interval = interval
            self.timeToLive = timeToLive
            self.errorWindow = errorWindow
        }
    }

    private struct State {
        var builder: FleetViewBuilder
        var published = 0
        var failed = 0
        var failing = false
        var cpuTime = Duration.zero
    }

    /// The client views are written through.
    public let client: RedisClient
    /// Who publishes (the key is `krpc:view:<clientID.id>`).
    public let clientID: FleetClientID
    /// Interval, TTL, error window.
    public let configuration: Configuration
    private let snapshots: @Sendable () -> [ChannelSnapshot]
    private let sleep: @Sendable (ContinuousClock.Instant) async throws -> Void
    private let logger: Logger
    private let state: Mutex<State>

    /// Creates a publisher of the view of `channels`; call ``run()`` to start publishing.
    public convenience init(
        client: RedisClient,
        clientID: FleetClientID,
        channels: [KRPCChannel],
        configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.init(
            client: client,
            clientID: clientID,
            configuration: configuration,
            logger: logger,
            snapshots: { channels.map { $0.snapshot() } }
        )
    }

    /// Creates a publisher of the snapshots `snapshots` returns each interval (e.g. of channels that come
    /// and go, or snapshots its caller takes anyway); it is called from ``run()``'s task and must not block.
    /// `sleep` is how ``run()`` waits for the next interval (krpc-top: its collection loop's timer).
    public init(
        client: RedisClient,
        clientID: FleetClientID,
        configuration: Configuration = Configuration(),
        logger: Logger,
        sleep: @escaping @Sendable (ContinuousClock.Instant) async throws -> Void = {
            try await Task.sleep(until: $0, clock: .continuous)
        },
        snapshots: @escaping @Sendable () -> [ChannelSnapshot]
    ) {
        self.sleep = sleep
        self.client = client
        self.clientID = clientID
        self.configuration = configuration
        self.snapshots = snapshots
        self.logger = logger
        self.state = Mutex(
            State(
                builder: FleetViewBuilder(
                    client: clientID,
                    interval: configuration.interval,
                    errorWindow: configuration.errorWindow
                )
            )
        )
    }

    /// The key this publisher writes.
    public var key: String { RedisKeys.view(self.clientID) }

    /// Views written successfully so far.
    public var publishedCount: Int { self.state.withLock { $0.published } }

    /// Attempts to publish that failed so far (Redis unreachable or erroring).
    public var failedCount: Int { self.state.withLock { $0.failed } }

    /// CPU time publishing has cost so far, on every thread it ran on: taking the snapshots, building and encoding
    /// each view and handing the `SET` over, and the `SET` itself on the Redis client's thread (measured per
    /// command, so the client may be shared).
    public var cpuTime: Duration { self.state.withLock { $0.cpuTime } }

    /// Publishes every ``Configuration/interval`` until the task is cancelled. Never throws.
    public func run() async {
        while !Task.isCancelled {
            let start = ContinuousClock.now
            do throws(RedisError) {
                try await self.publishOnce()
            } catch {
                // Counted and logged in publishOnce().
            }
            do {
                try await self.sleep(start + self.configuration.interval)
            } catch {
                return
            }
        }
    }

    /// Builds the view now and writes it once.
    /// - Throws: ``RedisError`` when it could not be written (the next interval tries again).
    public func publishOnce() async throws(RedisError) {
        // The synchronous part, on one thread: its CPU time is read around it (the await below may hop threads).
        let start = ThreadCPUTime.now()
        let snapshots = self.snapshots()
        let wallTime = Date().timeIntervalSince1970
        let view = self.state.withLock { $0.builder.view(of: snapshots, wallTime: wallTime) }
        let ttl = max(1, Int(self.configuration.timeToLive / .milliseconds(1)))
        let command = RedisCommand(
            bytes: [Array("SET".utf8), Array(self.key.utf8), FleetViewCodec.encode(view), Array("PX".utf8),
                Array(String(ttl).utf8)]
        )
        let cost = ThreadCPUTime.now() - start
        self.state.withLock { $0.cpuTime += cost }
        do {
            let (_, workerCost) = try await self.client.sendMeasuringWorkerTime(command)
            self.state.withLock { $0.cpuTime += workerCost }
        } catch {
            let first = self.state.withLock { state in
                state.failed += 1
                defer { state.failing = true }
                return !state.failing
            }
            if first {
                self.logger.info(
                    "fleet view not published: redis unreachable; retrying each interval",
                    metadata: ["redis.key": "\(self.key)", "redis.error": "\(error)"]
                )
            }
            throw error
        }
        let recovered = self.state.withLock { state in
            state.published += 1
            defer { state.failing = false }
            return state.failing
        }
        if recovered {
            self.logger.info("fleet view published again", metadata: ["redis.key": "\(self.key)"])
        }
    }
}

extension FleetClientID {
    /// This process: the host name (or `host` when given, e.g. a demo host's name), its pid, and `name`.
    public static func current(name: String, host: String? = nil) -> FleetClientID {
        let process = ProcessInfo.processInfo
        return FleetClientID(host: host ?? process.hostName, pid: Int(process.processIdentifier), name: name)
    }
}
