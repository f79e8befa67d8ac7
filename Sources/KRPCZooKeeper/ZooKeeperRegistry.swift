public import KRPC
import KRPCPolicy
public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A ``ServiceRegistry`` on ZooKeeper: servers publish ephemeral leaves, clients watch them.
///
/// Layout (compatible with the seed): `<root>/<Service>/<Method>/<host:port>`, parents persistent and created
/// as needed, one EPHEMERAL leaf per method per live server with JSON data
/// `{"host","port","weight","pid","started_at","version"}`. Readers also accept a bare `host:port` leaf with
/// empty or plain-text data (what the seed writes).
///
/// One registry object holds one long-lived session, shared by everything in the process that uses it:
/// - ``register(_:under:)`` creates the leaves. A leaf left by another session (a previous run of the same
///   server that restarted within the session timeout) is deleted and recreated, so it does not vanish when
///   that old session expires. Everything registered is re-checked after every reconnect and re-created after
///   a session expiry, on the new session.
/// - ``discover(_:)`` lists a method's leaves and keeps a child watch on it, re-armed after every event.
///   Changes are debounced (a burst of changes becomes one or a few snapshots). While ZooKeeper is
///   unreachable the last known list is kept; after a reconnect or an expiry everything is re-listed.
///   Malformed leaves are skipped with one warning each.
/// - ``state`` / ``stateUpdates()`` report connecting / connected / disconnected / expired.
///
/// ```swift
/// let registry = try ZooKeeperRegistry(configuration: .init(connectionString: "127.0.0.1:2181", logger: logger))
/// group.addTask { await registry.run() }       // the session lives while this runs
/// // server, once its listener is up:
/// try await registry.register(ServiceInstance(address: address, weight: 1), under: [key])
/// // client:
/// for await instances in registry.discover(key) { balancer.update(instances) }
/// // graceful shutdown: deregister before draining, close at the end
/// try await registry.deregister(address)
/// await registry.close()                        // or cancel run()
/// ```
///
/// Nothing happens until ``run()`` runs: it owns the session and every task the registry needs (session
/// supervision, debounced refreshes, re-registration), and ends them all before it returns. It ends when
/// cancelled, on a graceful shutdown (it is a swift-service-lifecycle `Service`), or when ``close()`` is called;
/// the session is closed then (ZooKeeper removes this registry's leaves at once) and every stream finishes.
public final class ZooKeeperRegistry: ServiceRegistry, Service {
    /// How to reach ZooKeeper and how to behave.
    public struct Configuration: Sendable {
        /// Comma-separated `host:port` pairs of the ensemble, e.g. `"zk1:2181,zk2:2181,zk3:2181"`.
        public var connectionString: String
        /// The session timeout to ask for (the server clamps it to [2, 20] × its tickTime). A crashed server's
        /// leaves disappear this long after its last heartbeat.
        public var sessionTimeout: Duration
        /// The root of the layout: `""` (the seed's default) or an absolute path such as `/krpc`.
        public var root: String
        /// Digest credentials. When set, the nodes the registry creates (leaves and the parents it has to
        /// create) get the ACL "these credentials: all, anyone: read", so only servers holding the same
        /// credentials can register or remove servers there, while every client can discover.
        public var authentication: ZooKeeperDigestAuthentication?
        /// How long membership must stay quiet before a snapshot is delivered.
        public var debounce: Duration
        /// The longest a change waits for quiet: under a continuous stream of changes a snapshot still goes
        /// out at least this often.
        public var maxDebounceDelay: Duration
        /// How long ``ZooKeeperRegistry/register(_:under:)`` and ``ZooKeeperRegistry/deregister(_:)`` wait
        /// for a connected session before throwing.
        public var operationTimeout: Duration
        /// Where the registry logs (info and below, plus one warning per malformed leaf). The C library's
        /// own messages go here too, at debug level.
        public var logger: Logger

        /// Creates a configuration; every field but the connection string has a default.
        public init(
            connectionString: String,
            sessionTimeout: Duration = .seconds(10),
            root: String = "",
            authentication: ZooKeeperDigestAuthentication? = nil,
            debounce: Duration = .milliseconds(100),
            maxDebounceDelay: Duration = .seconds(1),
            operationTimeout: Duration = .seconds(10),
            logger: Logger = Logger(label: "krpc.zookeeper", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.connectionString = connectionString
            self.sessionTimeout = sessionTimeout
            self.root = root
            self.authentication = authentication
            self.debounce = debounce
            self.maxDebounceDelay = maxDebounceDelay
            self.operationTimeout = operationTimeout
            self.logger = logger
        }

        /// Checks every field; the error names the first bad one.
        func validate() throws -> RegistryLayout {
            func invalid(_ message: String) -> ZooKeeperError {
                ZooKeeperError(code: .invalidConfiguration, message: message)
            }
            // A chroot suffix ("h1:2181,h2:2181/app") is the C client's business; the hosts must be host:port.
            let hosts = self.connectionString.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let entries = hosts.split(separator: ",", omittingEmptySubsequences: false)
            guard !hosts.isEmpty else { throw invalid("connectionString must not be empty (e.g. 127.0.0.1:2181)") }
            for entry in entries where NodeAddress(parsing: entry.trimmingSpaces) == nil {
                throw invalid("connectionString entry \"\(entry)\" is not host:port")
            }
            guard self.sessionTimeout > .zero else { throw invalid("sessionTimeout must be positive") }
            guard self.debounce >= .zero else { throw invalid("debounce must not be negative") }
            guard self.maxDebounceDelay >= self.debounce else {
                throw invalid("maxDebounceDelay must be at least debounce")
            }
            guard self.operationTimeout > .zero else { throw invalid("operationTimeout must be positive") }
            return try RegistryLayout(root: self.root)
        }
    }

    struct Registration: Sendable {
        var instance: ServiceInstance
        var keys: Set<ServiceKey>
    }

    struct State {
        var registryState: RegistryState = .connecting
        /// The current session's client (whatever its state); nil between sessions.
        var client: ZooKeeperClient?
        /// ``ZooKeeperRegistry/close()`` was called or ``ZooKeeperRegistry/run()`` ended: no new session, no new
        /// subscriber.
        var closed = false
        var lifecycle: Lifecycle = .idle
        /// ``ZooKeeperRegistry/close()`` calls waiting for ``ZooKeeperRegistry/run()`` to end.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var nextID: UInt64 = 0
        var registrations: [NodeAddress: Registration] = [:]
        /// Leaf paths deregistered whose deletion has not happened yet (retried after a reconnect).
        var orphans: Set<String> = []
        var groups: [ServiceKey: DiscoveryGroup] = [:]
        var pathToKey: [String: ServiceKey] = [:]

        mutating func makeID() -> UInt64 {
            defer { self.nextID += 1 }
            return self.nextID
        }
    }

    enum Lifecycle { case idle, running, ended }

    typealias Job = @Sendable () async -> Void

    /// The configuration the registry was created with.
    public let configuration: Configuration
    /// The znode layout.
    package let layout: RegistryLayout
    let logger: Logger
    let shared = Mutex(State())
    let gate = AsyncGate()
    /// The ``stateUpdates()`` subscribers. Each keeps the newest 16 states when it lags: the current state is
    /// never lost, and the few before it show what happened.
    let stateBroadcaster = EventBroadcaster<RegistryState>(bufferingPolicy: .bufferingNewest(16))
    /// Work for ``run()`` to run as its children: refreshes, re-registrations, re-arming a watch. Unbounded: one
    /// refresher per watched method at a time, one re-registration per (re)connect, one re-arm per fired watch.
    let jobs = WorkQueue<Job>()
    let processID: Int
    let startedAt: Int64

    /// Creates the registry; ``run()`` connects.
    /// - Throws: ``ZooKeeperError`` ``ZooKeeperError/Code/invalidConfiguration`` naming the bad field.
    public init(configuration: Configuration) throws {
        self.layout = try configuration.validate()
        self.configuration = configuration
        self.logger = configuration.logger
        self.processID = Int(ProcessInfo.processInfo.processIdentifier)
        self.startedAt = Int64(Date().timeIntervalSince1970)
    }

    // MARK: Lifecycle

    /// Connects and keeps a session (replacing it after an expiry), follows the watches, keeps the registrations
    /// published, until cancelled, a graceful shutdown or ``close()``. Then closes the session (ZooKeeper
    /// removes this registry's leaves at once) and finishes every ``discover(_:)`` and ``stateUpdates()`` stream
    /// (the state ends as `disconnected`).
    ///
    /// Call it once; a second call, or a call after ``close()``, returns at once.
    public func run() async {
        let start = self.shared.withLock { state in
            guard !state.closed, state.lifecycle == .idle else { return false }
            state.lifecycle = .running
            return true
        }
        guard start else { return }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.superviseSessions() }
            // Ends when cancelled, on a graceful shutdown, or when close() closes the job queue.
            await withGracefulShutdownHandler {
                while let job = await self.jobs.next() {
                    group.addTask { await job() }
                }
            } onGracefulShutdown: {
                self.jobs.close()
            }
            group.cancelAll()
        }
        let waiters = self.shared.withLock { state in
            state.lifecycle = .ended
            defer { state.stopWaiters = [] }
            return state.stopWaiters
        }
        self.finishStreams()
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `job` as a child of ``run()``; dropped when ``run()`` is not running any more.
    func submit(_ job: @escaping Job) {
        self.jobs.submit(job)
    }

    /// Ends ``run()`` and waits until it has closed the session and finished every stream; without a running
    /// ``run()``, finishes the streams. Calling it again waits the same way.
    public func close() async {
        let wait = self.shared.withLock { state in
            state.closed = true
            return state.lifecycle == .running
        }
        self.jobs.close()
        if wait {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ended = self.shared.withLock { state in
                    guard state.lifecycle == .running else { return true }
                    state.stopWaiters.append(continuation)
                    return false
                }
                if ended { continuation.resume() }
            }
        } else {
            self.finishStreams()
        }
    }

    /// No session any more: say so last, then every stream ends. Calling it again does nothing.
    private func finishStreams() {
        let groups = self.shared.withLock { state in
            state.closed = true
            defer {
                state.groups = [:]
                state.pathToKey = [:]
            }
            if state.registryState != .disconnected {
                state.registryState = .disconnected
                self.stateBroadcaster.enqueue(.disconnected)
            }
            self.stateBroadcaster.enqueueFinish()
            return Array(state.groups.values)
        }
        // Outside the lock: finishing runs the discovery streams' termination, which takes it.
        self.stateBroadcaster.deliver()
        for group in groups { group.broadcaster.finish() }
        self.logger.debug("zookeeper registry closed")
    }

    /// The current connection state.
    public var state: RegistryState { self.shared.withLock { $0.registryState } }

    /// The session timeout the server granted to the current session (it clamps the one asked for); `nil`
    /// before the first session is established. krpc-top shows it in its header.
    public var negotiatedSessionTimeout: Duration? {
        let client = self.shared.withLock { $0.client }
        return client?.negotiatedSessionTimeout
    }

    /// The current state first, then every change (the newest 16 kept when the consumer lags). Finishes when the
    /// registry is closed (at once when it was closed already, after its last state).
    public func stateUpdates() -> AsyncStream<RegistryState> {
        // Subscribed under our lock: the current state is ordered before every later change.
        let stream = self.shared.withLock { state in
            self.stateBroadcaster.subscribe(initial: [state.registryState], deliverNow: false)
        }
        self.stateBroadcaster.deliver()
        return stream
    }

    // MARK: Sessions

    /// Keeps one session alive: creates a client, follows its events, and after an expiry (or a rejected
    /// authentication) replaces it. Ends when the registry is closed.
    private func superviseSessions() async {
        // After a failure to create a handle or a rejected authentication; an expiry reconnects at once.
        var backoff = Backoff(initial: .milliseconds(200), max: .seconds(5), multiplier: 2, jitter: 0.2).makeIterator()
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            let client: ZooKeeperClient
            do {
                client = try await ZooKeeperClient(
                    configuration: .init(
                        connectionString: self.configuration.connectionString,
                        sessionTimeout: self.configuration.sessionTimeout,
                        authentication: self.configuration.authentication
                    ),
                    logger: self.logger
                )
            } catch {
                self.logger.info(
                    "cannot create a ZooKeeper handle; retrying",
                    metadata: ["zk.servers": "\(self.configuration.connectionString)", "error": "\(error)"]
                )
                try? await Task.sleep(for: backoff.next(using: &random))
                continue
            }
            let installed = self.shared.withLock { state in
                guard !state.closed else { return false }
                state.client = client
                return true
            }
            guard installed else {
                await client.close()
                return
            }
            let end = await self.follow(client)
            self.shared.withLock { state in
                if state.client === client { state.client = nil }
            }
            await client.close()
            if end == .authenticationFailed {
                try? await Task.sleep(for: backoff.next(using: &random))
            } else {
                backoff.reset()
            }
        }
    }

    /// Follows one client until its session ends; returns how it ended.
    private func follow(_ client: ZooKeeperClient) async -> ZooKeeperSessionState {
        var everConnected = false
        for await event in client.events() {
            switch event {
            case .session(.connecting):
                if self.setState(everConnected ? .disconnected : .connecting, client: client), everConnected {
                    self.logger.info(
                        "zookeeper connection lost; keeping the last known membership while reconnecting",
                        metadata: ["zk.servers": "\(self.configuration.connectionString)"]
                    )
                }
            case .session(.connected), .session(.connectedReadOnly):
                let reconnect = everConnected
                everConnected = true
                self.setState(.connected, client: client)
                self.logger.info(
                    reconnect ? "zookeeper session reconnected" : "zookeeper session established",
                    metadata: [
                        "zk.session": "\(client.sessionCredentials.map { "\($0)" } ?? "?")",
                        "zk.session_timeout": "\(client.negotiatedSessionTimeout.map { "\($0)" } ?? "?")",
                    ]
                )
                self.sessionConnected(client)
            case .session(.expired):
                self.logger.info(
                    "zookeeper session expired; opening a new one",
                    metadata: ["zk.session": "\(client.sessionCredentials.map { "\($0)" } ?? "?")"]
                )
                self.setState(.expired, client: client)
                return .expired
            case .session(.authenticationFailed):
                self.logger.warning(
                    "zookeeper rejected the digest credentials",
                    metadata: ["zk.user": "\(self.configuration.authentication?.user ?? "")"]
                )
                self.setState(everConnected ? .disconnected : .connecting, client: client)
                return .authenticationFailed
            case .session(.closed):
                return .closed
            case .node(let kind, let path):
                self.nodeChanged(kind, path: path, client: client)
            }
        }
        return .closed
    }

    /// Sets the registry state (only on behalf of the current client) and tells the subscribers.
    /// - Returns: whether the state changed.
    @discardableResult
    private func setState(_ new: RegistryState, client: ZooKeeperClient) -> Bool {
        let changed = self.shared.withLock { state in
            guard !state.closed, state.client === client, state.registryState != new else { return false }
            state.registryState = new
            self.stateBroadcaster.enqueue(new)
            return true
        }
        defer { self.stateBroadcaster.deliver() }
        return changed
    }

    /// After every (re)connect: re-check the registrations and re-list every watched method.
    private func sessionConnected(_ client: ZooKeeperClient) {
        self.submit { await self.reconcile(on: client) }
        let keys = self.shared.withLock { Array($0.groups.keys) }
        for key in keys { self.scheduleRefresh(key, immediately: true) }
    }

    /// The current client, when it is connected.
    func connectedClient() -> ZooKeeperClient? {
        self.shared.withLock { $0.registryState == .connected ? $0.client : nil }
    }

    /// Waits (up to `timeout`) for a connected session.
    func connectedClient(within timeout: Duration) async throws -> ZooKeeperClient {
        if let client = self.connectedClient() { return client }
        guard timeout > .zero else {
            throw ZooKeeperError(
                code: .connectionLoss,
                message: "no ZooKeeper session at \(self.configuration.connectionString) in time"
            )
        }
        let updates = self.stateUpdates()
        let client = try await withThrowingTaskGroup(of: ZooKeeperClient?.self) { group in
            group.addTask {
                for await state in updates where state == .connected {
                    if let client = self.connectedClient() { return client }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        if let client { return client }
        let closed = self.shared.withLock { $0.closed }
        throw ZooKeeperError(
            code: closed ? .closing : .connectionLoss,
            message: closed
                ? "the registry is closed"
                : "no ZooKeeper session at \(self.configuration.connectionString) within \(timeout)"
        )
    }

    // MARK: For tests

    /// The current session's id and password (tests use them to force an expiry).
    package var sessionCredentials: ZooKeeperSessionCredentials? {
        self.shared.withLock { $0.client }?.sessionCredentials
    }
}

extension Substring {
    /// Without leading and trailing spaces.
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
