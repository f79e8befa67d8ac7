public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
import Synchronization

/// Reads every client's published view (``FleetViewReader``) about once a second in its own task, off the
/// render path, and folds the latest read with this client's live view into each node's ``FleetFigures``.
///
/// The collector asks ``figures(for:key:)`` at every refresh: a copy under a lock, no I/O. A slow or dead
/// Redis delays only this task; while the last read failed, the figures are unknown (`nil`), never stale.
public final class FleetWatcher: Sendable {
    /// Reads go through this reader's client (krpc-top gives the fleet a client of its own).
    public let reader: FleetViewReader
    /// This client: its own published view is replaced by its live one.
    public let clientID: FleetClientID
    /// Time between the starts of two reads.
    public let interval: Duration
    private let latest = Mutex<FleetSnapshot?>(nil)

    /// Creates a watcher.
    public init(reader: FleetViewReader, clientID: FleetClientID, interval: Duration = .seconds(1)) {
        self.reader = reader
        self.clientID = clientID
        self.interval = interval
    }

    /// The last read, if one was made.
    public var snapshot: FleetSnapshot? { self.latest.withLock { $0 } }

    /// Reads every ``interval`` until cancelled.
    public func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            await self.readOnce()
            do { try await clock.sleep(until: max(start + self.interval, clock.now + .milliseconds(10))) } catch {
                break
            }
        }
    }

    /// Reads once and keeps the result.
    public func readOnce() async {
        let snapshot = await self.reader.read()
        self.latest.withLock { $0 = snapshot }
    }

    /// Each node's figures from the last read and this client's live view of `nodes`; empty while unknown.
    public func figures(for nodes: [KRPCTopCore.NodeSnapshot], key: ServiceKey) -> [NodeAddress: FleetFigures] {
        guard let snapshot = self.snapshot, snapshot.error == nil else { return [:] }
        return Self.figures(own: self.clientID, nodes: nodes, key: key, fleet: snapshot)
    }

    /// Pure: `own`'s live view of each of `nodes` first, then every other live client's published view of it.
    static func figures(
        own: FleetClientID, nodes: [KRPCTopCore.NodeSnapshot], key: ServiceKey, fleet: FleetSnapshot
    ) -> [NodeAddress: FleetFigures] {
        var result: [NodeAddress: FleetFigures] = [:]
        for node in nodes {
            var entries = [FleetFigures.Entry(client: own.id, state: node.state, reason: node.reason, isSelf: true)]
            for (client, view) in fleet.views(of: node.address, for: key) where client != own {
                entries.append(
                    FleetFigures.Entry(
                        client: client.id, state: SnapshotCollector.state(view.state),
                        reason: view.state == .closed ? nil : view.reason.map(ReasonWording.canonical)))
            }
            result[node.address] = FleetFigures(entries: entries)
        }
        return result
    }
}
