import KRPC
import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
public import KRPCZooKeeper
import Synchronization

/// Reads the registry's whole tree and the Redis counts of every method, for the services view: every
/// `interval`, one listing of `<root>/<Service>/<Method>/<host:port>` (``ZooKeeperRegistry/browse()``) and one
/// pipelined `HGETALL` of `krpc:calls:<S>.<M>` and `krpc:errors:<S>.<M>` per method. Rates and error percentages
/// are the deltas of those counts over about `rateWindow`.
///
/// Runs in its own task, off the render path; the session takes the latest ``Reading``. While the services view is
/// not on screen (``setOnScreen(_:)``) the tree is listed only every ``offScreenListingInterval``: the counts are
/// still read every `interval` (the cluster graphs' rates come from them), the node counts nobody sees are not.
public final class ServicesPoller: Sendable {
    /// What the last reads said.
    public struct Reading: Sendable {
        /// One row per method, sorted by name; ``ServiceSummary/seenHealthy`` is left to the session.
        public var services: [ServiceSummary] = []
        /// Why the list is empty or stale, when it is.
        public var problem: String? = "waiting for the registry"
        /// Calls per second over every method (Redis); `nil` until two reads.
        public var totalRate: Double?
        /// Errors in percent of the calls over every method; `nil` without calls in the window.
        public var totalErrorPercent: Double?
    }

    /// One read of every method's counts.
    struct Sample {
        var time: ContinuousClock.Instant
        var calls: [ServiceKey: Int]
        var errors: [ServiceKey: Int]
    }

    private struct State {
        var reading = Reading()
        var samples: [Sample] = []
        var onScreen = true
        /// The last listing that succeeded, and when.
        var listings: [RegistryMethodListing] = []
        var listedAt: ContinuousClock.Instant?
    }

    /// How often the tree is listed while the services view is not shown (it costs a registry read per service and
    /// per method: eight ZooKeeper round trips a second for the demo's three methods).
    public static let offScreenListingInterval: Duration = .seconds(5)

    /// Lists the methods and their nodes; throws when the registry cannot be read.
    public typealias Lister = @Sendable () async throws -> [RegistryMethodListing]

    private let list: Lister
    private let redis: RedisClient?
    private let interval: Duration
    private let rateWindow: Duration
    private let sleep: TopSleep
    private let state = Mutex(State())

    /// Creates a poller.
    /// - Parameters:
    ///   - list: Lists the registry (``ZooKeeperRegistry/browse()``, or the fixed node list).
    ///   - redis: Where the counts are; `nil` without Redis.
    ///   - interval: Time between two reads.
    ///   - rateWindow: Rates are over about this long (krpc-top's `--window`).
    ///   - sleep: How ``run()`` waits between reads (krpc-top: its collection loop's timer).
    public init(
        list: @escaping Lister, redis: RedisClient?, interval: Duration, rateWindow: Duration,
        sleep: @escaping TopSleep = TopSleeps.runtimeClock
    ) {
        self.sleep = sleep
        self.list = list
        self.redis = redis
        self.interval = interval
        self.rateWindow = rateWindow
    }

    /// The lister for a registry handle: the ZooKeeper tree, or the one method of a fixed node list.
    public static func lister(for registry: RegistryHandle, fixed: RegistryHandle.Choice) -> Lister {
        if let zooKeeper = registry.registry as? ZooKeeperRegistry {
            return { try await zooKeeper.browse() }
        }
        if case .fixed(let nodes, let key) = fixed {
            let listing = [RegistryMethodListing(key: key, nodes: nodes)]
            return { listing }
        }
        return { [] }
    }

    /// The latest reading.
    public var reading: Reading { self.state.withLock { $0.reading } }

    /// Whether the services view is on screen (the default): off screen, the tree is listed only every
    /// ``offScreenListingInterval``; back on screen, at the next read.
    public func setOnScreen(_ onScreen: Bool) {
        self.state.withLock { $0.onScreen = onScreen }
    }

    /// Reads every ``interval`` until cancelled.
    public func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            await self.pollOnce()
            do { try await self.sleep(start + self.interval) } catch { break }
        }
    }

    /// Reads once and folds the result into ``reading``.
    public func pollOnce() async {
        await self.pollOnce(now: .now)
    }

    /// ``pollOnce()`` at `now` (which decides whether the tree is listed again).
    func pollOnce(now: ContinuousClock.Instant) async {
        let cached = self.state.withLock { s -> [RegistryMethodListing]? in
            guard !s.onScreen, let listedAt = s.listedAt, now - listedAt < Self.offScreenListingInterval else {
                return nil
            }
            return s.listings
        }
        let listings: [RegistryMethodListing]
        if let cached {
            listings = cached
        } else {
            do {
                listings = try await self.list()
            } catch {
                self.state.withLock { s in
                    s.reading.problem = "registry not read: \(error)"
                    s.listedAt = nil
                }
                return
            }
            self.state.withLock { s in
                s.listings = listings
                s.listedAt = now
            }
        }
        let keys = listings.map(\.key)
        var counts: (calls: [ServiceKey: Int], errors: [ServiceKey: Int])?
        if let redis = self.redis, !keys.isEmpty {
            var commands: [RedisCommand] = []
            commands.reserveCapacity(keys.count * 2)
            for key in keys {
                commands.append(RedisCommand("HGETALL", RedisKeys.calls(key)))
                commands.append(RedisCommand("HGETALL", RedisKeys.errors(key)))
            }
            if let replies = try? await redis.pipeline(commands), replies.count == commands.count {
                var calls: [ServiceKey: Int] = [:]
                var errors: [ServiceKey: Int] = [:]
                for (i, key) in keys.enumerated() {
                    calls[key] = Self.hashSum(replies[2 * i])
                    errors[key] = Self.hashSum(replies[2 * i + 1])
                }
                counts = (calls, errors)
            }
        }
        self.absorb(listings, counts: counts, at: .now)
    }

    func absorb(
        _ listings: [RegistryMethodListing], counts: (calls: [ServiceKey: Int], errors: [ServiceKey: Int])?,
        at now: ContinuousClock.Instant
    ) {
        self.state.withLock { s in
            var base: Sample?
            if let counts {
                s.samples.append(Sample(time: now, calls: counts.calls, errors: counts.errors))
                // Keep the newest sample at least a window old as the base, and everything after it.
                while s.samples.count > 2 && now - s.samples[1].time >= self.rateWindow { s.samples.removeFirst() }
                if s.samples.count >= 2 { base = s.samples[0] }
            } else {
                s.samples.removeAll()
            }
            let seconds = base.map { Self.seconds(now - $0.time) } ?? 0
            var totalCalls = 0
            var totalErrors = 0
            var rows: [ServiceSummary] = []
            rows.reserveCapacity(listings.count)
            for listing in listings {
                var row = ServiceSummary(
                    service: listing.key.service, method: listing.key.method, registered: listing.nodes.count,
                    redisCalls: counts?.calls[listing.key], redisErrors: counts?.errors[listing.key])
                if let base, seconds > 0, let calls = row.redisCalls {
                    // A hash that went down (reset) counts from zero.
                    let before = base.calls[listing.key] ?? 0
                    let deltaCalls = calls >= before ? calls - before : calls
                    let errorsNow = row.redisErrors ?? 0
                    let errorsBefore = base.errors[listing.key] ?? 0
                    let deltaErrors = errorsNow >= errorsBefore ? errorsNow - errorsBefore : errorsNow
                    row.callRate = Double(deltaCalls) / seconds
                    row.errorPercent = deltaCalls > 0 ? min(100, Double(deltaErrors) * 100 / Double(deltaCalls)) : nil
                    totalCalls += deltaCalls
                    totalErrors += deltaErrors
                }
                rows.append(row)
            }
            rows.sort { $0.name < $1.name }
            s.reading.services = rows
            s.reading.problem = rows.isEmpty ? "no methods registered" : nil
            s.reading.totalRate = base != nil && seconds > 0 ? Double(totalCalls) / seconds : nil
            s.reading.totalErrorPercent =
                totalCalls > 0 ? min(100, Double(totalErrors) * 100 / Double(totalCalls)) : nil
        }
    }

    /// The sum of an `HGETALL` reply's integer values (`[field, value, …]`); what is not a count is skipped.
    static func hashSum(_ reply: RedisValue) -> Int {
        guard let items = reply.array else { return 0 }
        var sum = 0
        var i = 1
        while i < items.count {
            if let text = items[i].string, let value = Int(text), value >= 0 {
                sum = sum.addingReportingOverflow(value).overflow ? Int.max : sum + value
            }
            i += 2
        }
        return sum
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
