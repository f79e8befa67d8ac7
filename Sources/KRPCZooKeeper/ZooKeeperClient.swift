internal import CZooKeeper
import Dispatch
package import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One ZooKeeper session over the multi-threaded C client (`libzookeeper_mt`), with an async/await API.
///
/// The C library runs its own I/O and completion threads. Every request goes through the asynchronous
/// `zoo_a*` API: the completion resumes a continuation exactly once (or the client fails it with
/// ``ZooKeeperError/Code/closing`` when it is closed first), and session changes and fired watches are
/// yielded into the ``events()`` streams. Nothing here blocks the Swift concurrency pool: the two calls
/// that can block (`zookeeper_init`, which resolves host names, and `zookeeper_close`, which flushes) run
/// on a private dispatch queue.
///
/// One client is one session. When the session expires (``ZooKeeperSessionState/expired``) the handle is
/// dead: close it and create a new client (``ZooKeeperRegistry`` does that by itself). Watches are the
/// client-wide kind: pass `watch: true` to ``exists(_:watch:)``, ``get(_:watch:)`` or
/// ``children(_:watch:)`` and the fired watch arrives as ``ZooKeeperEvent/node(_:path:)`` in ``events()``.
///
/// ```swift
/// let client = try await ZooKeeperClient(configuration: .init(connectionString: "127.0.0.1:2181"), logger: logger)
/// try await client.waitUntilConnected(timeout: .seconds(5))
/// _ = try await client.create("/krpc-demo", data: Array("hello".utf8), mode: .ephemeral)
/// let names = try await client.children("/", watch: true)
/// for await event in client.events() { … }          // .session(.connected), .node(.childrenChanged, path: "/"), …
/// await client.close()                               // the ephemeral node is gone now
/// ```
///
/// The C library's own log lines never reach stderr: they are forwarded to `logger` at debug level.
package final class ZooKeeperClient: Sendable {
    /// Where to connect and how.
    package struct Configuration: Sendable, Hashable {
        /// Comma-separated `host:port` pairs of the ensemble, e.g. `"zk1:2181,zk2:2181,zk3:2181"`.
        package var connectionString: String
        /// The session timeout to ask for; the server clamps it to [2, 20] × its tickTime.
        package var sessionTimeout: Duration
        /// Reattach to an existing session instead of creating one.
        package var session: ZooKeeperSessionCredentials?
        /// Digest credentials added to the session (and re-sent by the C client after every reconnect).
        package var authentication: ZooKeeperDigestAuthentication?

        /// Creates a configuration.
        package init(
            connectionString: String,
            sessionTimeout: Duration = .seconds(10),
            session: ZooKeeperSessionCredentials? = nil,
            authentication: ZooKeeperDigestAuthentication? = nil
        ) {
            self.connectionString = connectionString
            self.sessionTimeout = sessionTimeout
            self.session = session
            self.authentication = authentication
        }
    }

    /// The configuration this client was created with.
    package let configuration: Configuration
    let hub: ZooKeeperEventHub
    let pending: PendingOperations
    /// The C handle; `nil` once ``close()`` has taken it. Every C call on the handle happens while holding
    /// this lock, so none can race `zookeeper_close`.
    let handle: Mutex<ZooKeeperHandle?>
    let blockingQueue: DispatchQueue
    let logger: Logger
    let logSink: UInt64

    /// Creates the handle and starts connecting in the background.
    ///
    /// Returns as soon as the handle exists; the session is established asynchronously (watch ``events()``
    /// or call ``waitUntilConnected(timeout:)``).
    /// - Throws: ``ZooKeeperError`` with ``ZooKeeperError/Code/badArguments`` when the C client rejects the
    ///   connection string (for example no host resolves) or ``ZooKeeperError/Code/invalidConfiguration``.
    package init(configuration: Configuration, logger: Logger) async throws {
        guard !configuration.connectionString.isEmpty else {
            throw ZooKeeperError(code: .invalidConfiguration, message: "connectionString must not be empty")
        }
        guard configuration.sessionTimeout > .zero else {
            throw ZooKeeperError(code: .invalidConfiguration, message: "sessionTimeout must be positive")
        }
        let sink = ZooKeeperLibrary.addSink(logger)
        self.logSink = sink
        self.configuration = configuration
        self.logger = logger
        self.hub = ZooKeeperEventHub()
        self.pending = PendingOperations()
        let queue = DispatchQueue(label: "krpc.zookeeper.client")
        self.blockingQueue = queue

        let hub = self.hub
        let timeout = configuration.sessionTimeout.zooKeeperMilliseconds
        let created: Result<ZooKeeperHandle, ZooKeeperError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(
                    returning: ZooKeeperHandle.make(configuration: configuration, timeout: timeout, hub: hub))
            }
        }
        let handle: ZooKeeperHandle
        do {
            handle = try created.get()
        } catch {
            ZooKeeperLibrary.removeSink(sink)
            throw error
        }
        self.handle = Mutex(handle)
        if let auth = configuration.authentication {
            let cert = "\(auth.user):\(auth.password)"
            // Queued now, sent on connect and again after every reconnect by the C client. A rejection
            // shows up as the session state `.authenticationFailed`.
            let rc = cert.withCString {
                zoo_add_auth(handle.raw, "digest", $0, Int32(strlen($0)), ignoreCompletion, nil)
            }
            if rc != ZOK.rawValue {
                await self.close()
                throw ZooKeeperError(returnCode: rc, path: nil, operation: "add digest authentication")
            }
        }
        self.logger.debug(
            "zookeeper handle created",
            metadata: [
                "zk.servers": "\(configuration.connectionString)",
                "zk.session_timeout": "\(configuration.sessionTimeout)",
            ]
        )
    }

    deinit {
        // A client dropped without close(): close the handle off-pool. The hub (the watcher's context) and
        // the pending table stay alive in the closure until zookeeper_close has returned.
        if let handle = self.handle.withLock({ h -> ZooKeeperHandle? in
            defer { h = nil }
            return h
        }) {
            let hub = self.hub
            let pending = self.pending
            let sink = self.logSink
            self.blockingQueue.async {
                zookeeper_close(handle.raw)
                pending.failAll()
                hub.finish()
                ZooKeeperLibrary.removeSink(sink)
            }
        }
    }

    /// The current session state.
    package var state: ZooKeeperSessionState { self.hub.sessionState }

    /// The id and password of the session, once it has connected (also after it ended).
    package var sessionCredentials: ZooKeeperSessionCredentials? { self.hub.credentials }

    /// The session timeout the server granted, once connected.
    package var negotiatedSessionTimeout: Duration? { self.hub.negotiatedTimeout }

    /// Session changes and fired watches: the current session state first, then every event.
    ///
    /// Each call returns a new stream; every stream sees every event (keeping the newest 4,096 when its consumer
    /// lags). The stream finishes when the client is closed; one asked for after that yields
    /// `.session(.closed)` and finishes. Cancelling the iterating task unsubscribes.
    package func events() -> AsyncStream<ZooKeeperEvent> { self.hub.subscribe() }

    /// Waits until the session is connected.
    /// - Throws: ``ZooKeeperError`` ``ZooKeeperError/Code/operationTimeout`` after `timeout`;
    ///   ``ZooKeeperError/Code/sessionExpired``, ``ZooKeeperError/Code/authFailed`` or
    ///   ``ZooKeeperError/Code/closing`` when the session ended instead.
    package func waitUntilConnected(timeout: Duration) async throws {
        let events = self.events()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    guard case .session(let state) = event else { continue }
                    switch state {
                    case .connected, .connectedReadOnly: return
                    case .connecting: continue
                    case .expired: throw ZooKeeperError(code: .sessionExpired, message: "the session expired")
                    case .authenticationFailed:
                        throw ZooKeeperError(code: .authFailed, message: "authentication was rejected")
                    case .closed: throw ZooKeeperError(code: .closing, message: "the client was closed")
                    }
                }
                try Task.checkCancellation()
                throw ZooKeeperError(code: .closing, message: "the client was closed")
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ZooKeeperError(code: .operationTimeout, message: "not connected within \(timeout)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Closes the session: its ephemeral nodes are removed at once, pending requests fail with
    /// ``ZooKeeperError/Code/closing``, and every ``events()`` stream yields `.session(.closed)` and finishes.
    ///
    /// When not connected at that moment, the server is not told and the session lives on until it times out
    /// (as with a crashed process). Calling it again does nothing.
    package func close() async {
        guard
            let handle = self.handle.withLock({ h -> ZooKeeperHandle? in
                defer { h = nil }
                return h
            })
        else { return }
        let credentials = self.hub.credentials
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.blockingQueue.async {
                zookeeper_close(handle.raw)
                continuation.resume()
            }
        }
        // zookeeper_close has joined the library's threads: no completion or watcher runs any more.
        self.pending.failAll()
        self.hub.finish()
        ZooKeeperLibrary.removeSink(self.logSink)
        self.logger.debug(
            "zookeeper session closed", metadata: ["zk.session": "\(credentials.map { "\($0)" } ?? "none")"])
    }
}

extension Duration {
    /// Milliseconds for the C API, clamped to Int32.
    var zooKeeperMilliseconds: Int32 {
        let ms = self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}
