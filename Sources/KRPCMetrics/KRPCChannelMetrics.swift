public import CoreMetrics
public import KRPC
import KRPCPolicy
import Synchronization

/// A ``KRPCChannel``'s metrics through swift-metrics: attempts per node and outcome and their latency (from
/// the channel's attempt reports), and from its snapshots the failovers, hedges, panic mode, node count and each
/// node's breaker state. See ``KRPCMetricsCatalog`` for the names and labels. The calls as the caller sees them
/// are ``KRPCClientMetricsInterceptor``'s.
///
/// Two sources, each the cheapest that is exact for what it feeds: every attempt is reported as it ends
/// (``record(_:)``, installed as ``KRPCChannel/Configuration/attemptObserver``), so its latency lands in the
/// histogram; the rest are counters and states the channel keeps anyway, read from a snapshot once per
/// ``run(channel:interval:)`` interval (counters grow by the difference since the last snapshot) instead of
/// adding work to every call.
///
/// ```swift
/// let metrics = KRPCChannelMetrics(key: key)
/// var configuration = KRPCChannel.Configuration()
/// configuration.attemptObserver = { metrics.record($0) }
/// configuration.interceptors = [KRPCClientMetricsInterceptor(KRPCCallMetrics(.client, methods: [key]))]
/// let channel = KRPCChannel(key: key, registry: registry, configuration: configuration)
/// group.addTask { await channel.run() }
/// group.addTask { await metrics.run(channel: channel) }
/// ```
public final class KRPCChannelMetrics: Sendable {
    private final class NodeMetrics: Sendable {
        let success: CoreMetrics.Counter
        let failure: CoreMetrics.Counter
        let timeout: CoreMetrics.Counter
        let duration: CoreMetrics.Timer

        init(labels: [(String, String)], factory: any MetricsFactory) {
            let name = KRPCMetricsCatalog.clientAttempts.name
            self.success = CoreMetrics.Counter(
                label: name, dimensions: labels + [("outcome", "success")], factory: factory)
            self.failure = CoreMetrics.Counter(
                label: name, dimensions: labels + [("outcome", "failure")], factory: factory)
            self.timeout = CoreMetrics.Counter(
                label: name, dimensions: labels + [("outcome", "timeout")], factory: factory)
            self.duration = CoreMetrics.Timer(
                label: KRPCMetricsCatalog.clientAttemptDuration.name, dimensions: labels, factory: factory)
        }
    }

    /// One gauge per breaker state of a node (one-hot).
    private struct BreakerGauges {
        var gauges: [BreakerState: Gauge]
        var current: BreakerState?
    }

    /// What the last snapshot said, to turn its running totals into counter increments.
    private struct SnapshotState {
        var retries = 0
        var hedges = 0
        var breakers: [NodeAddress: BreakerGauges] = [:]
    }

    /// The service method of the channel.
    public let key: ServiceKey
    private let factory: any MetricsFactory
    private let labels: [(String, String)]
    private let nodes = Mutex<[NodeAddress: NodeMetrics]>([:])
    private let snapshotState = Mutex(SnapshotState())
    private let failovers: CoreMetrics.Counter
    private let hedges: CoreMetrics.Counter
    private let panic: Gauge
    private let nodeCount: Gauge

    /// Creates the metrics of the channel for `key`.
    /// - Parameter factory: where the metrics are made (default: the one the process bootstrapped).
    public init(key: ServiceKey, factory: any MetricsFactory = MetricsSystem.factory) {
        self.key = key
        self.factory = factory
        let labels = [("service", key.service), ("method", key.method)]
        self.labels = labels
        self.failovers = CoreMetrics.Counter(
            label: KRPCMetricsCatalog.clientFailovers.name, dimensions: labels, factory: factory)
        self.hedges = CoreMetrics.Counter(
            label: KRPCMetricsCatalog.clientHedges.name, dimensions: labels, factory: factory)
        self.panic = Gauge(label: KRPCMetricsCatalog.clientPanic.name, dimensions: labels, factory: factory)
        self.nodeCount = Gauge(label: KRPCMetricsCatalog.clientNodes.name, dimensions: labels, factory: factory)
    }

    /// Counts one attempt and records its latency (the channel's ``KRPCChannel/Configuration/attemptObserver``).
    public func record(_ report: KRPCAttemptReport) {
        let node = self.nodes.withLock { nodes in
            if let found = nodes[report.node] { return found }
            let made = NodeMetrics(labels: self.labels + [("node", report.node.description)], factory: self.factory)
            nodes[report.node] = made
            return made
        }
        switch report.outcome {
        case .success: node.success.increment()
        case .failure: node.failure.increment()
        case .timeout: node.timeout.increment()
        }
        node.duration.recordNanoseconds(report.latency.wholeNanoseconds)
    }

    /// Updates the snapshot-fed metrics from `snapshot`: counters by what grew since the last one, the panic and
    /// node gauges, and each node's breaker state (a node that left loses its breaker series).
    public func observe(_ snapshot: ChannelSnapshot) {
        let (increments, gone) = self.snapshotState.withLock { state in
            let increments = (
                retries: max(0, snapshot.retries - state.retries), hedges: max(0, snapshot.hedges - state.hedges)
            )
            state.retries = max(state.retries, snapshot.retries)
            state.hedges = max(state.hedges, snapshot.hedges)
            var present: Set<NodeAddress> = []
            for node in snapshot.nodes {
                present.insert(node.address)
                var breaker = state.breakers[node.address] ?? self.makeBreakerGauges(node.address)
                if breaker.current != node.breaker.state {
                    for (state, gauge) in breaker.gauges { gauge.record(state == node.breaker.state ? 1 : 0) }
                    breaker.current = node.breaker.state
                }
                state.breakers[node.address] = breaker
            }
            var gone: [Gauge] = []
            for (address, breaker) in state.breakers where !present.contains(address) {
                gone += breaker.gauges.values
                state.breakers[address] = nil
            }
            return (increments, gone)
        }
        if increments.retries > 0 { self.failovers.increment(by: increments.retries) }
        if increments.hedges > 0 { self.hedges.increment(by: increments.hedges) }
        self.panic.record(snapshot.panic ? 1 : 0)
        self.nodeCount.record(snapshot.nodes.count)
        for gauge in gone { gauge.destroy() }
    }

    /// Observes `channel`'s snapshot every `interval` until the task is cancelled, and once more then.
    public func run(channel: KRPCChannel, interval: Duration = .seconds(1)) async {
        while !Task.isCancelled {
            self.observe(channel.snapshot())
            do { try await Task.sleep(for: interval) } catch { break }
        }
        self.observe(channel.snapshot())
    }

    private func makeBreakerGauges(_ address: NodeAddress) -> BreakerGauges {
        var gauges: [BreakerState: Gauge] = [:]
        for state in BreakerState.allCases {
            gauges[state] = Gauge(
                label: KRPCMetricsCatalog.clientBreakerState.name,
                dimensions: self.labels + [("node", address.description), ("state", Self.stateLabel(state))],
                factory: self.factory)
        }
        return BreakerGauges(gauges: gauges, current: nil)
    }

    /// `closed`, `half_open`, `open`: label values in snake case, as Prometheus names are.
    static func stateLabel(_ state: BreakerState) -> String {
        switch state {
        case .closed: "closed"
        case .halfOpen: "half_open"
        case .open: "open"
        }
    }
}
