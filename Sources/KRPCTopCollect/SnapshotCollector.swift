public import KRPC
public import KRPCPolicy
public import KRPCTopCore
import Synchronization

/// Builds a ``DashboardSnapshot`` every refresh from the channel's snapshot, the latest Redis reading and the
/// load generator, and hands it to the UI (or keeps it for `--once`).
///
/// Cheap by design: one `channel.snapshot()` (a copy under the channel's lock), one copy of the Redis reading,
/// and an event list rebuilt only when the channel or the poller reported something new.
public final class SnapshotCollector: Sendable {
    /// Where the snapshot's fixed parts come from.
    public struct Sources: Sendable {
        public var key: ServiceKey
        public var channel: KRPCChannel
        public var load: LoadGenerator
        public var poller: RedisPoller?
        /// The windows, totals, episodes and departed nodes (fed by the call path).
        public var ledger: CallLedger
        /// `false` with a fixed node list (`--nodes`): ZooKeeper shows as disabled.
        public var usesZooKeeper: Bool
        /// The negotiated ZooKeeper session timeout, when known.
        public var sessionTimeout: @Sendable () -> Duration?
        /// Seconds since 1970.
        public var wallClock: @Sendable () -> Double
        /// The local offset from UTC in seconds, for event times.
        public var utcOffsetSeconds: Int
        /// Every client's view of the nodes (the FLEET column); `nil` without Redis.
        public var fleet: FleetWatcher?

        /// Gathers the sources.
        public init(
            key: ServiceKey, channel: KRPCChannel, load: LoadGenerator, poller: RedisPoller?, ledger: CallLedger,
            usesZooKeeper: Bool, sessionTimeout: @escaping @Sendable () -> Duration?,
            wallClock: @escaping @Sendable () -> Double, utcOffsetSeconds: Int, fleet: FleetWatcher? = nil
        ) {
            self.key = key
            self.channel = channel
            self.load = load
            self.poller = poller
            self.ledger = ledger
            self.usesZooKeeper = usesZooKeeper
            self.sessionTimeout = sessionTimeout
            self.wallClock = wallClock
            self.utcOffsetSeconds = utcOffsetSeconds
            self.fleet = fleet
        }
    }

    private struct Sample {
        var time: ContinuousClock.Instant
        var started: Int
    }

    private struct State {
        var samples: [Sample] = []
        /// The converted event list and what it was built from.
        var events: [DashboardEvent] = []
        var channelEventCount = -1
        var channelLastEvent: ContinuousClock.Instant?
        var pollerEventVersion = -1
        /// The channel snapshot the last ``makeSnapshot()`` was built from.
        var channel: ChannelSnapshot?
    }

    /// The achieved rate is measured over about this long.
    static let rateWindow = Duration.seconds(1)
    /// Events shown.
    static let eventLimit = 200

    public let sources: Sources
    private let state = Mutex(State())

    /// Creates a collector over its sources.
    public init(sources: Sources) {
        self.sources = sources
    }

    /// The channel's nodes at the last snapshot (the Redis poller reads their fault keys).
    public var nodes: [NodeAddress] { self.state.withLock { $0.channel?.nodes.map(\.address) ?? [] } }

    /// The channel snapshot the last ``makeSnapshot()`` took, if it is at most `maxAge` old: the fleet view's
    /// publisher reuses it rather than taking one of its own.
    public func recentChannelSnapshot(maxAge: Duration) -> ChannelSnapshot? {
        let snapshot = self.state.withLock { $0.channel }
        guard let snapshot, ContinuousClock.now - snapshot.takenAt <= maxAge else { return nil }
        return snapshot
    }

    /// Delivers a snapshot every `interval` until cancelled.
    public func run(interval: Duration, deliver: @Sendable (DashboardSnapshot) -> Void) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            deliver(self.makeSnapshot())
            next += interval
            // After a stall (a suspended laptop, a debugger) start afresh rather than catching up in a burst.
            if next < clock.now { next = clock.now + interval }
            do { try await clock.sleep(until: next) } catch { break }
        }
    }

    /// Everything the dashboard shows, now.
    public func makeSnapshot() -> DashboardSnapshot {
        let channel = self.sources.channel.snapshot()
        let redis = self.sources.poller?.reading
        let load = self.sources.load
        let counters = load.counters
        let now = channel.takenAt

        let (achieved, events) = self.state.withLock { s in
            s.samples.append(Sample(time: now, started: counters.started))
            while s.samples.count > 2 && now - s.samples[1].time >= Self.rateWindow { s.samples.removeFirst() }
            s.channel = channel
            let latest = s.samples[s.samples.count - 1]
            // Achieved rate: against the newest sample at least a rate window old (or the oldest one).
            let rateBase = s.samples.last { now - $0.time >= Self.rateWindow } ?? s.samples[0]
            let rateSeconds = Self.seconds(now - rateBase.time)
            let achieved = rateSeconds > 0 ? Double(latest.started - rateBase.started) / rateSeconds : 0
            self.refreshEvents(&s, channel: channel, redis: redis)
            return (achieved, s.events)
        }

        let ledger = self.sources.ledger
        let time = now - ledger.origin
        let mapped = channel.nodes.map { Self.node($0, at: now, redis: redis) }
        let (present, departed, caller) = ledger.withLedger { l in
            let (nodes, departed) = l.update(mapped, at: time)
            return (nodes, departed, l.callerFigures(at: time))
        }
        var nodes = present
        // After the ledger: this client's own entry carries the node's window (error %, p99).
        if let fleet = self.sources.fleet?.figures(for: nodes, key: self.sources.key) {
            for i in nodes.indices { nodes[i].fleet = fleet[nodes[i].address] }
        }
        return DashboardSnapshot(
            service: self.sources.key.service,
            method: self.sources.key.method,
            balancer: channel.balancer.name,
            targetRate: load.rate,
            achievedRate: achieved,
            clusterQPS: redis?.clusterQPS,
            calls: channel.calls,
            failures: channel.failures,
            errorPercent: caller.errorPercent,
            p50Microseconds: caller.p50Microseconds,
            p99Microseconds: caller.p99Microseconds,
            window: caller,
            zookeeper: self.sources.usesZooKeeper ? Self.link(channel.registryState) : .disabled,
            zookeeperSessionTimeout: self.sources.usesZooKeeper ? self.sources.sessionTimeout() : nil,
            redis: redis?.state ?? .disabled,
            panicMode: channel.panic,
            paused: load.isPaused,
            nodes: nodes,
            departed: departed,
            events: events,
            utcOffsetSeconds: self.sources.utcOffsetSeconds
        )
    }

    /// Rebuilds the event list when the channel or the poller has news; newest first.
    private func refreshEvents(_ s: inout State, channel: ChannelSnapshot, redis: RedisPoller.Reading?) {
        let lastTime = channel.events.last?.time
        let pollerVersion = redis?.eventVersion ?? 0
        guard
            channel.events.count != s.channelEventCount || lastTime != s.channelLastEvent
                || pollerVersion != s.pollerEventVersion
        else { return }
        s.channelEventCount = channel.events.count
        s.channelLastEvent = lastTime
        s.pollerEventVersion = pollerVersion
        var all = channel.events.compactMap(self.event)
        all.append(contentsOf: redis?.events ?? [])
        // Stable: equal times keep their order of arrival (reversed, as the list is newest first).
        s.events = Array(
            all.enumerated().sorted {
                $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset > $1.offset
            }.prefix(Self.eventLimit).map(\.element))
    }

    private func event(_ e: KRPCChannelEvent) -> DashboardEvent? {
        let kind: DashboardEvent.Kind
        var reason: String?
        switch e.kind {
        case .breaker(let from, let to, let why):
            kind = .transition(from: Self.state(from), to: Self.state(to))
            reason = why.isEmpty ? nil : ReasonWording.canonical(why)
        case .nodeJoined: kind = .joined
        case .nodeLeft: kind = .left
        case .panicStarted: kind = .panic(true)
        case .panicEnded: kind = .panic(false)
        case .registry(let state):
            guard self.sources.usesZooKeeper else { return nil }
            kind = .zookeeper(Self.link(state))
        case .balancerChanged:
            return nil  // the header shows the balancer, and the status line confirmed the key press
        }
        return DashboardEvent(time: e.wallTime, node: e.node, kind: kind, reason: reason)
    }

    // MARK: Mapping

    /// The breaker's view of one node; the ledger adds counts, window and episode.
    static func node(_ n: KRPC.NodeSnapshot, at now: ContinuousClock.Instant, redis: RedisPoller.Reading?)
        -> KRPCTopCore.NodeSnapshot
    {
        let state = Self.state(n.breaker.state)
        return KRPCTopCore.NodeSnapshot(
            address: n.address,
            state: state,
            timeInState: max(.zero, now - n.breaker.since),
            reason: state == .healthy ? nil : n.breaker.reason.map(ReasonWording.canonical),
            nextProbeIn: state == .healthy ? nil : (n.nextProbeIn ?? n.breaker.timeUntilNextProbe),
            probeSentAgo: state == .healthy ? nil : Self.probeSentAgo(n.breaker.probe, at: now),
            redisCalls: redis?.calls[n.address],
            redisCallRate: redis?.callRates[n.address],
            // Counts, percentiles and the window: filled from the ledger (by address, kept across a rejoin).
            latencyHistory: n.latencyPerSecond.suffix(60).map { $0 > 0 ? Int($0.rounded()) : nil },
            fault: redis?.faults[n.address],
            acceptsFaults: n.faultInjection,
            inFlight: n.inFlight
        )
    }

    /// How long ago the probe that is out was sent; `nil` when none is out.
    static func probeSentAgo(_ probe: ProbeStatus, at now: ContinuousClock.Instant) -> Duration? {
        guard case .inFlight(let startedAt, _) = probe else { return nil }
        return max(.zero, now - startedAt)
    }

    static func state(_ state: BreakerState) -> NodeState {
        switch state {
        case .closed: .healthy
        case .halfOpen: .halfOpen
        case .open: .broken
        }
    }

    static func link(_ state: RegistryState) -> LinkState {
        switch state {
        case .connecting: .connecting
        case .connected: .connected
        case .disconnected: .disconnected
        case .expired: .expired
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
