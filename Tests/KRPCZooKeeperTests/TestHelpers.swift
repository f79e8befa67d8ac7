import Dispatch
import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import Synchronization
import Testing

@testable import KRPCZooKeeper

/// The shared ZooKeeper of the test run (`KRPC_TEST_ZK`), checked to accept connections.
func sharedZooKeeper() throws -> String {
    try TestEnvironment.addressString(of: .zooKeeper)
}

/// A root nobody else uses, so tests can run in parallel on the shared server.
func uniqueRoot(_ label: String = "t") -> String {
    "/krpc-test-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// Runs a blocking call (stopping a child process polls with usleep) on a dispatch thread, never on the
/// two-thread Swift concurrency pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A connected raw client for arranging and inspecting znodes.
func connectedClient(_ address: String, logs: LogCapture = LogCapture()) async throws -> ZooKeeperClient {
    let client = try await ZooKeeperClient(
        configuration: .init(connectionString: address, sessionTimeout: .seconds(10)),
        logger: logs.logger()
    )
    try await client.waitUntilConnected(timeout: .seconds(15))
    return client
}

/// Creates `path` and its missing ancestors as persistent nodes; the last one gets `data` and `mode`.
@discardableResult
func createTree(_ client: ZooKeeperClient, _ path: String, data: [UInt8] = [], mode: ZooKeeperCreateMode = .persistent)
    async throws -> String
{
    for parent in RegistryLayout.ancestors(of: path) {
        guard try await client.exists(parent) == nil else { continue }
        do { _ = try await client.create(parent) } catch let error as ZooKeeperError where error.code == .nodeExists {}
    }
    return try await client.create(path, data: data, mode: mode)
}

/// Deletes `path` and everything below it (best effort; the test server is throwaway anyway).
func deleteTree(_ client: ZooKeeperClient, _ path: String) async {
    for child in (try? await client.children(path)) ?? [] { await deleteTree(client, "\(path)/\(child)") }
    try? await client.delete(path)
}

extension ZooKeeperRegistry {
    /// A registry for tests (running unless `running` is false): short session, unique root, logs captured.
    /// Close it at the end.
    static func forTest(
        _ address: String,
        root: String,
        sessionTimeout: Duration = .seconds(4),
        authentication: ZooKeeperDigestAuthentication? = nil,
        operationTimeout: Duration = .seconds(20),
        logs: LogCapture = LogCapture(),
        running: Bool = true
    ) throws -> ZooKeeperRegistry {
        let registry = try ZooKeeperRegistry(
            configuration: .init(
                connectionString: address,
                sessionTimeout: sessionTimeout,
                root: root,
                authentication: authentication,
                operationTimeout: operationTimeout,
                logger: logs.logger()
            )
        )
        // Running until the test closes the registry: close() ends run() and waits for it.
        if running { Task { await registry.run() } }
        return registry
    }
}

/// Consumes a discovery stream in the background and remembers every snapshot.
final class SnapshotRecorder: Sendable {
    private let snapshots = Mutex<[[ServiceInstance]]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncStream<[ServiceInstance]>) {
        let task = Task { [weak self] in
            for await snapshot in stream { self?.snapshots.withLock { $0.append(snapshot) } }
        }
        self.task.withLock { $0 = task }
    }

    var all: [[ServiceInstance]] { self.snapshots.withLock { $0 } }
    var latest: [ServiceInstance]? { self.snapshots.withLock { $0.last } }
    var latestAddresses: Set<NodeAddress>? { self.latest.map { Set($0.map(\.address)) } }

    /// Waits until the latest snapshot lists exactly `addresses`.
    func waitFor(_ addresses: Set<NodeAddress>, timeout: Duration, _ what: String) async throws {
        try await waitUntil(
            "\(what): expected \(addresses.sorted()), last seen \(self.latest.map { "\($0)" } ?? "nothing")",
            timeout: timeout
        ) {
            self.latestAddresses == addresses
        }
    }

    func cancel() { self.task.withLock { $0 }?.cancel() }

    deinit { self.task.withLock { $0 }?.cancel() }
}

/// Remembers every state a registry reported.
final class StateRecorder: Sendable {
    private let states = Mutex<[RegistryState]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncStream<RegistryState>) {
        let task = Task { [weak self] in
            for await state in stream { self?.states.withLock { $0.append(state) } }
        }
        self.task.withLock { $0 = task }
    }

    var all: [RegistryState] { self.states.withLock { $0 } }

    deinit { self.task.withLock { $0 }?.cancel() }
}

extension NodeAddress {
    static func local(_ port: Int) -> NodeAddress { NodeAddress(host: "127.0.0.1", port: port) }
}

/// Async clean-up actions, run in reverse order when the test body ends (also when it throws): closing
/// sessions and stopping private servers must finish before the test does.
final class Cleanup: Sendable {
    private let actions = Mutex<[@Sendable () async -> Void]>([])

    func add(_ action: @escaping @Sendable () async -> Void) { self.actions.withLock { $0.append(action) } }

    fileprivate func run() async {
        let actions = self.actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        for action in actions.reversed() { await action() }
    }
}

/// Runs `body`, then every clean-up action it registered, whatever happened.
func withCleanup(_ body: (Cleanup) async throws -> Void) async throws {
    let cleanup = Cleanup()
    do {
        try await body(cleanup)
    } catch {
        await cleanup.run()
        throw error
    }
    await cleanup.run()
}
