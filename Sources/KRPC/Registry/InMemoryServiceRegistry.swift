public import KRPCPolicy
import Synchronization

/// A registry in process memory: for unit tests, and for a fixed list of nodes (`krpc-bench --target`).
///
/// Behaves like the ZooKeeper registry towards its users: ``discover(_:)`` yields the current list
/// first and then every change; ``setState(_:)`` simulates an outage (the list is kept).
public final class InMemoryServiceRegistry: ServiceRegistry, Sendable {
    private struct State {
        var members: [ServiceKey: [NodeAddress: ServiceInstance]] = [:]
        var state: RegistryState = .connected
        /// One broadcaster per watched key; created on first ``discover(_:)``.
        var watchers: [ServiceKey: EventBroadcaster<[ServiceInstance]>] = [:]

        func list(_ key: ServiceKey) -> [ServiceInstance] {
            (self.members[key] ?? [:]).values.sorted { $0.address < $1.address }
        }
    }

    private let storage = Mutex(State())
    /// The ``stateUpdates()`` subscribers: the newest 8 states are kept for a lagging consumer (only the
    /// last one matters to it, the ones before show what happened).
    private let stateBroadcaster = EventBroadcaster<RegistryState>(bufferingPolicy: .bufferingNewest(8))

    /// Creates an empty registry (state `connected`).
    public init() {}

    /// Creates a registry holding `instances` under `key`.
    public convenience init(_ instances: [ServiceInstance], under key: ServiceKey) {
        self.init()
        self.storage.withLock { s in
            for instance in instances { s.members[key, default: [:]][instance.address] = instance }
        }
    }

    public func register(_ instance: ServiceInstance, under keys: [ServiceKey]) async throws {
        self.update(keys) { $0[instance.address] = instance }
    }

    public func deregister(_ address: NodeAddress) async throws {
        let keys = self.storage.withLock { Array($0.members.keys) }
        self.update(keys) { $0.removeValue(forKey: address) }
    }

    private func update(_ keys: [ServiceKey], _ change: (inout [NodeAddress: ServiceInstance]) -> Void) {
        let touched = self.storage.withLock { s in
            keys.compactMap { key -> EventBroadcaster<[ServiceInstance]>? in
                change(&s.members[key, default: [:]])
                let watchers = s.watchers[key]
                watchers?.enqueue(s.list(key))  // under the lock: lists go out in the order they were made
                return watchers
            }
        }
        for watchers in touched { watchers.deliver() }
    }

    /// The current list of `key` first, then every change. Each stream keeps only the newest list when its
    /// consumer lags (an older list is of no use once a newer one exists).
    public func discover(_ key: ServiceKey) -> AsyncStream<[ServiceInstance]> {
        let (stream, watchers) = self.storage.withLock { s in
            let watchers = s.watchers[key] ?? EventBroadcaster(bufferingPolicy: .bufferingNewest(1))
            s.watchers[key] = watchers
            return (watchers.subscribe(initial: [s.list(key)], deliverNow: false), watchers)
        }
        watchers.deliver()
        return stream
    }

    public var state: RegistryState { self.storage.withLock { $0.state } }

    /// Simulates a connection state change (the membership is kept, as a real registry keeps it).
    public func setState(_ new: RegistryState) {
        self.storage.withLock { s in
            s.state = new
            self.stateBroadcaster.enqueue(new)
        }
        self.stateBroadcaster.deliver()
    }

    public func stateUpdates() -> AsyncStream<RegistryState> {
        let stream = self.storage.withLock { s in
            self.stateBroadcaster.subscribe(initial: [s.state], deliverNow: false)
        }
        self.stateBroadcaster.deliver()
        return stream
    }
}
