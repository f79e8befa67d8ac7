public import KRPC
import KRPCPolicy

/// Turns channel snapshots into a ``FleetView``, keeping the per-node attempt counts of the last
/// ``errorWindow`` so that the error percentage is recent, not since start. Pure: no clock, no I/O.
///
/// ```swift
/// var builder = FleetViewBuilder(client: id, interval: .seconds(1))
/// let view = builder.view(of: [channel.snapshot()], wallTime: now)
/// ```
public struct FleetViewBuilder: Sendable {
    private struct Sample: Sendable {
        var time: ContinuousClock.Instant
        var successes: Int
        var failures: Int
    }

    private struct NodeKey: Hashable, Sendable {
        var key: ServiceKey
        var node: NodeAddress
    }

    /// Who publishes.
    public let client: FleetClientID
    /// How often views are published (written into each view).
    public let interval: Duration
    /// How far back the error percentage looks.
    public let errorWindow: Duration
    private var samples: [NodeKey: [Sample]] = [:]

    /// Creates a builder.
    public init(client: FleetClientID, interval: Duration, errorWindow: Duration = .seconds(10)) {
        self.client = client
        self.interval = interval
        self.errorWindow = errorWindow
    }

    /// The view of every node in `snapshots`, each taken at its ``ChannelSnapshot/takenAt``.
    /// - Parameter wallTime: now, seconds since the Unix epoch (``FleetView/publishedAt``).
    public mutating func view(of snapshots: [ChannelSnapshot], wallTime: Double) -> FleetView {
        // Each node with its method's name, made once per snapshot rather than at every comparison of the sort.
        var nodes: [(method: String, view: FleetNodeView)] = []
        var seen: Set<NodeKey> = []
        for snapshot in snapshots {
            let method = snapshot.key.description
            for node in snapshot.nodes {
                let nodeKey = NodeKey(key: snapshot.key, node: node.address)
                seen.insert(nodeKey)
                let errorPercent = self.record(
                    nodeKey,
                    Sample(time: snapshot.takenAt, successes: node.successes, failures: node.failures)
                )
                nodes.append(
                    (method, FleetNodeView(
                        key: snapshot.key,
                        node: node.address,
                        state: node.breaker.state,
                        reason: node.breaker.reason,
                        errorPercent: errorPercent,
                        p99Micros: max(0, node.latency.p99Micros),
                        timeInState: max(.zero, snapshot.takenAt - node.breaker.since)
                    ))
                )
            }
        }
        // Nodes that left stop costing memory.
        self.samples = self.samples.filter { seen.contains($0.key) }
        nodes.sort { ($0.method, $0.view.node) < ($1.method, $1.view.node) }
        return FleetView(
            client: self.client, publishedAt: wallTime, interval: self.interval, nodes: nodes.map(\.view))
    }

    /// Adds `sample` and returns the failed share of the attempts since the oldest sample in the window (%).
    private mutating func record(_ key: NodeKey, _ sample: Sample) -> Double {
        var history = self.samples[key, default: []]
        // A counter that went back means a new channel for the same node: start over.
        if let last = history.last, sample.successes < last.successes || sample.failures < last.failures {
            history.removeAll()
        }
        history.append(sample)
        // Keep the newest sample at or before the window's start as the baseline.
        let start = sample.time - self.errorWindow
        while history.count > 2, history[1].time <= start { history.removeFirst() }
        self.samples[key] = history
        let base = history.count > 1 ? history[0] : Sample(time: sample.time, successes: 0, failures: 0)
        let failures = sample.failures - base.failures
        let attempts = failures + sample.successes - base.successes
        guard attempts > 0 else { return 0 }
        return min(100, max(0, Double(failures) * 100 / Double(attempts)))
    }
}
