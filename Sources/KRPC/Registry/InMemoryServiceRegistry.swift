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
        var watchers: [Int: (ServiceKey, AsyncStream<[ServiceInstance]>.Continuation)] = [:]
        var stateWatchers: [Int: AsyncStream<RegistryState>.Continuation] = [:]
        var nextID = 0

        func list(_ key: ServiceKey) -> [ServiceInstance] {
            (self.members[key] ?? [:]).values.sorted { $0.address < $1.address }
        }
    }

    private let storage = Mutex(State())

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
        self.storage.withLock { s in
            for key in keys {
                change(&s.members[key, default: [:]])
                let list = s.list(key)
                for (watchedKey, continuation) in s.watchers.values where watchedKey == key {
                    continuation.yield(list)
                }
            }
        }
    }

    public func discover(_ key: ServiceKey) -> AsyncStream<[ServiceInstance]> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: [ServiceInstance].self,
            bufferingPolicy: .bufferingNewest(1)
        )
        self.storage.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.watchers[id] = (key, continuation)
            continuation.yield(s.list(key))
            // Removed a moment later, not under the task-status lock the runtime holds here (we yield under ours).
            continuation.onTermination = { [weak self] _ in
                Task { _ = self?.storage.withLock { $0.watchers.removeValue(forKey: id) } }
            }
        }
        return stream
    }

    public var state: RegistryState { self.storage.withLock { $0.state } }

    /// Simulates a connection state change (the membership is kept, as a real registry keeps it).
    public func setState(_ new: RegistryState) {
        self.storage.withLock { s in
            s.state = new
            for continuation in s.stateWatchers.values { continuation.yield(new) }
        }
    }

    public func stateUpdates() -> AsyncStream<RegistryState> {
        let (stream, continuation) = AsyncStream.makeStream(of: RegistryState.self, bufferingPolicy: .bufferingNewest(8))
        self.storage.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.stateWatchers[id] = continuation
            continuation.yield(s.state)
            continuation.onTermination = { [weak self] _ in
                Task { _ = self?.storage.withLock { $0.stateWatchers.removeValue(forKey: id) } }
            }
        }
        return stream
    }
}
