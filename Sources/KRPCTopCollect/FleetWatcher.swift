import Foundation
public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import KRPCTopCore
import Synchronization

/// Reads every client's published view (``FleetViewReader``) about once a second in its own task, off the
/// render path, and folds the latest read with this client's live view into each node's ``FleetFigures`` (the
/// node view's FLEET column and the node detail's client list) and each method's ``FleetTally`` (the services
/// view's FLEET column).
///
/// The collector asks ``figures(for:key:)`` at every refresh: a copy under a lock, no I/O. A slow or dead
/// Redis delays only this task; until the first read and while the last read failed, the figures are
/// ``FleetFigures/unknown`` (the column shows `-`), never stale.
public final class FleetWatcher: Sendable {
    /// The last read, with the other clients' views of each method already summed (once per read, not per
    /// refresh).
    private struct Latest {
        var snapshot: FleetSnapshot
        var othersByKey: [ServiceKey: FleetTally]
        var wallTime: Double
    }

    private let read: @Sendable () async -> FleetSnapshot
    /// This client: its own published view is replaced by its live one.
    public let clientID: FleetClientID
    /// Time between the starts of two reads.
    public let interval: Duration
    private let wallClock: @Sendable () -> Double
    private let sleep: TopSleep
    private let latest = Mutex<Latest?>(nil)

    /// Creates a watcher reading through `reader` (krpc-top gives the fleet a Redis client of its own);
    /// `wallClock` (seconds since 1970, for the age of each view) defaults to the system's; `sleep` is how ``run()``
    /// waits between reads (krpc-top: its collection loop's timer).
    public convenience init(
        reader: FleetViewReader, clientID: FleetClientID, interval: Duration = .seconds(1),
        wallClock: (@Sendable () -> Double)? = nil, sleep: @escaping TopSleep = TopSleeps.runtimeClock
    ) {
        self.init(
            read: { await reader.read() }, clientID: clientID, interval: interval, wallClock: wallClock, sleep: sleep)
    }

    /// Creates a watcher over any source of reads (tests: a scripted sequence of reads).
    init(
        read: @escaping @Sendable () async -> FleetSnapshot, clientID: FleetClientID, interval: Duration = .seconds(1),
        wallClock: (@Sendable () -> Double)? = nil, sleep: @escaping TopSleep = TopSleeps.runtimeClock
    ) {
        self.sleep = sleep
        self.read = read
        self.clientID = clientID
        self.interval = interval
        self.wallClock = wallClock ?? { Date().timeIntervalSince1970 }
    }

    /// The last read, if one was made.
    public var snapshot: FleetSnapshot? { self.latest.withLock { $0?.snapshot } }

    /// Reads every ``interval`` until cancelled.
    public func run() async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let start = clock.now
            await self.readOnce()
            do { try await self.sleep(max(start + self.interval, clock.now + .milliseconds(10))) } catch {
                break
            }
        }
    }

    /// Reads once and keeps the result.
    public func readOnce() async {
        let snapshot = await self.read()
        let others = Self.tallies(excluding: self.clientID, fleet: snapshot)
        let now = self.wallClock()
        self.latest.withLock { $0 = Latest(snapshot: snapshot, othersByKey: others, wallTime: now) }
    }

    /// Each node's figures from the last read and this client's live view of `nodes`; every node
    /// ``FleetFigures/unknown`` before the first read and while the last read failed.
    public func figures(for nodes: [KRPCTopCore.NodeSnapshot], key: ServiceKey) -> [NodeAddress: FleetFigures] {
        guard let latest = self.latest.withLock({ $0 }), latest.snapshot.error == nil else {
            return Dictionary(nodes.map { ($0.address, FleetFigures.unknown) }) { a, _ in a }
        }
        return Self.figures(own: self.clientID, nodes: nodes, key: key, fleet: latest.snapshot,
                            wallTime: self.wallClock())
    }

    /// Each method's tally: every other live client's published views, plus this client's live view of `nodes`
    /// for `key` (the method it calls, if any). `nil` before the first read and while the last read failed.
    public func tallies(ownKey key: ServiceKey?, nodes: [KRPCTopCore.NodeSnapshot]) -> [ServiceKey: FleetTally]? {
        guard let latest = self.latest.withLock({ $0 }), latest.snapshot.error == nil else { return nil }
        var result = latest.othersByKey
        if let key {
            for node in nodes where !node.isDeparted { result[key, default: FleetTally()].add(node.state) }
        }
        return result
    }

    /// Pure: every client's views but `own`'s, counted by method.
    static func tallies(excluding own: FleetClientID, fleet: FleetSnapshot) -> [ServiceKey: FleetTally] {
        var result: [ServiceKey: FleetTally] = [:]
        for view in fleet.views where view.client != own {
            for node in view.nodes { result[node.key, default: FleetTally()].add(SnapshotCollector.state(node.state)) }
        }
        return result
    }

    /// Pure: `own`'s live view of each of `nodes` first, then every other live client's published view of it,
    /// each with its age at `wallTime` (seconds since 1970).
    static func figures(
        own: FleetClientID, nodes: [KRPCTopCore.NodeSnapshot], key: ServiceKey, fleet: FleetSnapshot,
        wallTime: Double = 0
    ) -> [NodeAddress: FleetFigures] {
        var result: [NodeAddress: FleetFigures] = [:]
        for node in nodes {
            var entries = [
                FleetFigures.Entry(
                    client: own.id, state: node.state, reason: node.reason, isSelf: true,
                    errorPercent: node.window.errorPercent, p99Microseconds: node.window.p99Microseconds,
                    timeInState: node.timeInState)
            ]
            for published in fleet.views where published.client != own {
                guard let view = published.view(of: node.address, for: key) else { continue }
                entries.append(
                    FleetFigures.Entry(
                        client: published.client.id, state: SnapshotCollector.state(view.state),
                        reason: view.state == .closed ? nil : view.reason.map(ReasonWording.canonical),
                        errorPercent: view.errorPercent, p99Microseconds: view.p99Micros > 0 ? view.p99Micros : nil,
                        timeInState: view.timeInState,
                        viewAge: .milliseconds(Int64((max(0, wallTime - published.publishedAt) * 1000).rounded()))))
            }
            result[node.address] = FleetFigures(entries: entries)
        }
        return result
    }
}
