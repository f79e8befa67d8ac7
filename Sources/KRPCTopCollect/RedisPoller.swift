public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
import Synchronization

/// Reads the dashboard's Redis data in its own task, off the render path: one pipelined read per refresh
/// (``RedisDashboardReader``), turned into per-node counts, rates and faults, the cluster QPS, the link state,
/// and events (Redis state changes, faults set and cleared).
///
/// The collector takes the latest ``Reading`` whenever it builds a snapshot; a slow or dead Redis delays only
/// this task, never the screen.
public final class RedisPoller: Sendable {
    /// What the last reads said.
    public struct Reading: Sendable {
        /// The Redis link.
        public var state: LinkState = .connecting
        /// Calls per node counted in Redis (every client); absent when unknown.
        public var calls: [NodeAddress: Int] = [:]
        /// Rate of ``calls`` per node, in calls per second, over about the last second.
        public var callRates: [NodeAddress: Double] = [:]
        /// The fault key's value per node, for nodes that have one.
        public var faults: [NodeAddress: String] = [:]
        /// Calls per second of the whole method (all nodes, all clients); `nil` until two reads succeeded.
        public var clusterQPS: Double?
        /// Redis state changes and fault changes, oldest first (the last ``RedisPoller/eventLimit``).
        public var events: [DashboardEvent] = []
        /// Bumped whenever ``events`` changes.
        public var eventVersion = 0
    }

    private struct Sample {
        var time: ContinuousClock.Instant
        var total: Int
        var byNode: [NodeAddress: Int]
    }

    private struct State {
        var reading = Reading()
        var samples: [Sample] = []
        /// Fault values seen by the previous successful read, for every node it asked about.
        var previousFaults: [NodeAddress: String?] = [:]
        var everConnected = false
    }

    /// How many events are kept.
    static let eventLimit = 200

    public let key: ServiceKey
    public let reader: RedisDashboardReader
    public let interval: Duration
    /// Rates (per node and the cluster's QPS) are measured over about this long: krpc-top passes its window.
    public let rateWindow: Duration
    private let nodes: @Sendable () -> [NodeAddress]
    private let wallClock: @Sendable () -> Double
    private let sleep: TopSleep
    private let state = Mutex(State())

    /// Creates a poller.
    /// - Parameters:
    ///   - key: The method whose counts to read.
    ///   - reader: Reads through the shared ``RedisClient``.
    ///   - interval: Time between the starts of two reads.
    ///   - nodes: The nodes to read fault keys for (the channel's membership).
    ///   - wallClock: Seconds since 1970, for event times.
    ///   - rateWindow: The span rates are measured over.
    ///   - sleep: How ``run()`` waits between reads (krpc-top: its collection loop's timer).
    public init(
        key: ServiceKey,
        reader: RedisDashboardReader,
        interval: Duration,
        rateWindow: Duration = .seconds(1),
        nodes: @escaping @Sendable () -> [NodeAddress],
        wallClock: @escaping @Sendable () -> Double,
        sleep: @escaping TopSleep = TopSleeps.runtimeClock
    ) {
        self.sleep = sleep
        self.key = key
        self.reader = reader
        self.interval = interval
        self.rateWindow = rateWindow
        self.nodes = nodes
        self.wallClock = wallClock
    }

    /// The latest reading.
    public var reading: Reading { self.state.withLock { $0.reading } }

    /// Reads every ``interval`` until cancelled.
    public func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            await self.pollOnce()
            do { try await self.sleep(max(start + self.interval, clock.now + .milliseconds(10))) } catch {
                break
            }
        }
    }

    /// Reads once and folds the result into ``reading``.
    public func pollOnce() async {
        let nodes = self.nodes()
        let snapshot = await self.reader.read(self.key, nodes: nodes)
        self.absorb(snapshot, at: .now, wallTime: self.wallClock())
    }

    func absorb(_ snapshot: RedisDashboardSnapshot, at now: ContinuousClock.Instant, wallTime: Double) {
        self.state.withLock { s in
            var events: [DashboardEvent] = []
            let link: LinkState
            if snapshot.isSuccess {
                link = .connected
            } else {
                switch snapshot.state {
                case .connecting: link = s.everConnected ? .disconnected : .connecting
                case .connected, .disconnected, .shutDown: link = .disconnected
                }
            }
            if link != s.reading.state {
                let reason = snapshot.error.map { "\($0)" }
                events.append(DashboardEvent(time: wallTime, kind: .redis(link), reason: reason))
                s.reading.state = link
            }
            if snapshot.totals == nil {
                // Unknown while Redis cannot be read: show nothing rather than stale counts. The fault values
                // seen last stay as the base for the set/cleared events once Redis is back.
                s.samples.removeAll()
                s.reading.calls = [:]
                s.reading.callRates = [:]
                s.reading.faults = [:]
                s.reading.clusterQPS = nil
            }
            if let totals = snapshot.totals {
                s.everConnected = true
                s.samples.append(Sample(time: now, total: totals.calls, byNode: totals.callsByNode))
                // Keep the newest sample at least a window old as the base, and everything after it.
                while s.samples.count > 2 && now - s.samples[1].time >= self.rateWindow { s.samples.removeFirst() }
                var calls: [NodeAddress: Int] = [:]
                var faults: [NodeAddress: String] = [:]
                var seen: [NodeAddress: String?] = [:]
                for node in snapshot.nodes {
                    if let count = node.calls { calls[node.node] = count }
                    let value = node.fault.map { $0.fault == nil ? "invalid '\($0.value)'" : $0.value }
                    if let value { faults[node.node] = value }
                    seen[node.node] = value
                    let before = s.previousFaults[node.node] ?? nil
                    if value != before {
                        if let value {
                            let ttl = node.fault?.timeToLive.map { "ttl \(Self.seconds($0))" }
                            events.append(
                                DashboardEvent(
                                    time: wallTime, node: node.node, kind: .faultSet(value),
                                    reason: ttl))
                        } else if s.previousFaults[node.node] != nil {
                            events.append(DashboardEvent(time: wallTime, node: node.node, kind: .faultCleared))
                        }
                    }
                }
                s.previousFaults = seen
                s.reading.calls = calls
                s.reading.faults = faults
                if let base = s.samples.first, s.samples.count >= 2 {
                    let seconds =
                        Double((now - base.time).components.attoseconds) / 1e18
                        + Double((now - base.time).components.seconds)
                    if seconds > 0 {
                        s.reading.clusterQPS = Double(max(0, totals.calls - base.total)) / seconds
                        var rates: [NodeAddress: Double] = [:]
                        for (node, count) in calls {
                            // The base holds every field of the hash then: a node missing from it had no count
                            // yet (a method's first calls), so it counts from zero.
                            rates[node] = Double(max(0, count - (base.byNode[node] ?? 0))) / seconds
                        }
                        s.reading.callRates = rates
                    }
                }
            }
            if !events.isEmpty {
                s.reading.events.append(contentsOf: events)
                if s.reading.events.count > Self.eventLimit {
                    s.reading.events.removeFirst(s.reading.events.count - Self.eventLimit)
                }
                s.reading.eventVersion += 1
            }
        }
    }

    private static func seconds(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms >= 10_000 ? "\(ms / 1000)s" : "\(ms / 1000).\(ms % 1000 / 100)s"
    }
}
