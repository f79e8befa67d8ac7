public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
import KRPCWire
import KRPCZooKeeper
import Synchronization

/// Reads what the node detail screen shows, only while that screen is open: every ``interval`` the node's
/// ZooKeeper leaf (path, data, owner session, creation time), its fault key and TTL (`GET` and `PTTL`), the server's
/// own view (`Stats.Get` on a connection of its own), and from the channel the breaker's cool-down and trips (the
/// session adds the failures, which it notes all along, and the timeline).
///
/// Whether the leaf's session is live: ZooKeeper keeps an ephemeral leaf only while the session that created it
/// is open, so a leaf that is there has an open session; the reader adds whether the node answers `Stats.Get`, so
/// a crashed server whose session has not expired yet reads "not answering" rather than "live".
public final class NodeDetailReader: Sendable {
    /// What to read.
    public struct Target: Sendable {
        /// The method the node serves (its leaf's parent).
        public var key: ServiceKey
        /// The node.
        public var address: NodeAddress
        /// The channel that calls it (breaker settings and status).
        public var channel: KRPCChannel

        /// Creates a target.
        public init(key: ServiceKey, address: NodeAddress, channel: KRPCChannel) {
            self.key = key
            self.address = address
            self.channel = channel
        }
    }

    private struct State {
        var generation = 0
        var task: Task<Void, Never>?
        var detail: NodeDetail?
    }

    /// `10s`, `0.5s`.
    static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(Double(ms) / 1000)s"
    }

    private let registry: (any ServiceRegistry)?
    private let redis: RedisClient?
    private let interval: Duration
    private let wallClock: @Sendable () -> Double
    private let state = Mutex(State())

    /// Creates a reader; nothing is read before ``watch(_:)``.
    public init(
        registry: (any ServiceRegistry)?, redis: RedisClient?, interval: Duration = .milliseconds(500),
        wallClock: @escaping @Sendable () -> Double
    ) {
        self.registry = registry
        self.redis = redis
        self.interval = interval
        self.wallClock = wallClock
    }

    /// The latest detail, for the watched node only.
    public var detail: NodeDetail? { self.state.withLock { $0.detail } }

    /// Starts reading `target` (stopping any previous one), or stops (`nil`).
    public func watch(_ target: Target?) {
        let (old, generation) = self.state.withLock { s in
            s.generation += 1
            defer { s.task = nil }
            s.detail = target.map { NodeDetail(address: $0.address) }
            return (s.task, s.generation)
        }
        old?.cancel()
        guard let target else { return }
        let task = Task { await self.read(target, generation: generation) }
        self.state.withLock { s in
            if s.generation == generation { s.task = task } else { task.cancel() }
        }
    }

    /// Stops reading.
    public func stop() { self.watch(nil) }

    private func read(_ target: Target, generation: Int) async {
        let connection = NodeConnection(to: target.address)
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            var detail = NodeDetail(address: target.address)
            // The channel: breaker settings and status.
            let breaker = target.channel.configuration.breaker
            detail.breaker = NodeDetail.BreakerSettings(
                failureThreshold: breaker.failureThreshold,
                failureRate: breaker.failureRate.map {
                    "\(Int(($0.threshold * 100).rounded()))% of ≥\($0.minimumCalls) calls in "
                        + Self.seconds($0.window)
                },
                cooldownInitial: breaker.cooldown.initial, cooldownMax: breaker.cooldown.max,
                probeInterval: breaker.probe?.interval)
            if let node = target.channel.snapshot().nodes.first(where: { $0.address == target.address }) {
                detail.tripCount = node.breaker.tripCount
                detail.currentCooldown = node.breaker.state == .closed ? nil : node.breaker.cooldown
            }
            // The server's own view.
            var answered = false
            do {
                let stats = try await StatsClient(connection).get(deadline: .seconds(1))
                answered = true
                detail.server = NodeDetail.Server(
                    uptime: .milliseconds(Int64((stats.uptimeS * 1000).rounded())),
                    methods: stats.methods.map {
                        NodeDetail.Server.Method(
                            name: "\($0.service).\($0.method)", calls: Int(clamping: $0.calls),
                            errors: Int(clamping: $0.errors), inFlight: Int(clamping: $0.inFlight),
                            p50Microseconds: Int($0.p50Us.rounded()))
                    }.sorted { $0.name < $1.name })
            } catch {
                detail.serverError = "Stats.Get: \(error)"
            }
            // The ZooKeeper leaf.
            if let zooKeeper = self.registry as? ZooKeeperRegistry {
                do {
                    if let leaf = try await zooKeeper.readLeaf(target.key, target.address) {
                        detail.leaf = NodeDetail.Leaf(
                            path: leaf.path, data: String(decoding: leaf.data, as: UTF8.self),
                            ephemeralOwner: leaf.stat.ephemeralOwner,
                            sessionLive: leaf.stat.ephemeralOwner == 0 ? nil : answered,
                            createdAtMilliseconds: leaf.stat.ctime)
                    } else {
                        detail.leafError = "no leaf for this node under \(target.key) (it left the registry)"
                    }
                } catch {
                    detail.leafError = "leaf not read: \(error)"
                }
            } else {
                detail.leafError = "a fixed node list (--nodes): no ZooKeeper leaf"
            }
            // The fault key.
            if let redis = self.redis {
                let key = RedisKeys.fault(target.address)
                if let replies = try? await redis.pipeline([RedisCommand("GET", key), RedisCommand("PTTL", key)]),
                    replies.count == 2
                {
                    detail.faultValue = replies[0].isNull ? nil : (replies[0].string ?? "\(replies[0])")
                    detail.faultTTL = replies[1].integer.flatMap { $0 >= 0 ? .milliseconds($0) : nil }
                }
            }
            let stillWatched = self.state.withLock { s in
                guard s.generation == generation else { return false }
                s.detail = detail
                return true
            }
            guard stillWatched else { break }
            do { try await clock.sleep(until: start + self.interval) } catch { break }
        }
        await connection.close()
    }
}
