internal import CZooKeeper
// The bridge between the C client's threads and Swift: the handle, the watcher context, the table of
// requests in flight, and the C callbacks. Callbacks run on the library's completion thread; they copy what
// they need out of the C pointers, then resume a continuation or yield into AsyncStreams, nothing else.
import KRPC
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `zhandle_t *`.
// @unchecked Sendable: zookeeper_mt may be called from any thread for every function except
// zookeeper_close. ZooKeeperClient keeps the handle in a Mutex, makes every call while holding it, and takes
// it out (setting nil) before calling zookeeper_close exactly once, so no call can race or follow the close.
struct ZooKeeperHandle: @unchecked Sendable {
    let raw: OpaquePointer

    /// Runs `zookeeper_init2` (blocking: it resolves host names). Call it off the concurrency pool.
    static func make(
        configuration: ZooKeeperClient.Configuration,
        timeout: Int32,
        hub: ZooKeeperEventHub
    ) -> Result<ZooKeeperHandle, ZooKeeperError> {
        // The hub outlives the handle: the client owns it and releases it only after zookeeper_close.
        let context = Unmanaged.passUnretained(hub).toOpaque()
        var clientID: clientid_t? = configuration.session.map { session in
            var id = clientid_t()
            id.client_id = session.id
            withUnsafeMutableBytes(of: &id.passwd) { buffer in
                for (i, byte) in session.password.prefix(buffer.count).enumerated() { buffer[i] = byte }
            }
            return id
        }
        errno = 0
        let raw: OpaquePointer? = configuration.connectionString.withCString { host in
            if clientID != nil {
                return withUnsafePointer(to: &clientID!) {
                    zookeeper_init2(host, zooKeeperWatcher, timeout, $0, context, 0, zooKeeperLog)
                }
            }
            return zookeeper_init2(host, zooKeeperWatcher, timeout, nil, context, 0, zooKeeperLog)
        }
        guard let raw else {
            let reason = errno == 0 ? "no usable server address" : String(cString: strerror(errno))
            return .failure(
                ZooKeeperError(
                    code: .badArguments,
                    message: "cannot create a handle for \"\(configuration.connectionString)\": \(reason)"
                )
            )
        }
        return .success(ZooKeeperHandle(raw: raw))
    }
}

/// Process-wide settings of the C library: its log goes to swift-log, never to stderr (a dashboard's screen
/// must not receive it).
enum ZooKeeperLibrary {
    private static let configured: Bool = {
        zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR)
        // Messages logged without a handle use the global stream: send them nowhere.
        if let devNull = fopen("/dev/null", "w") { zoo_set_log_stream(devNull) }
        return true
    }()

    /// The loggers of the open clients. The C log callback has no context pointer, so a message cannot be
    /// attributed to its handle: it goes to every open client's logger (a process normally has one).
    private static let sinks = Mutex<(next: UInt64, loggers: [UInt64: Logger])>((0, [:]))

    /// Configures the library once and adds `logger` to the sinks; returns the token for ``removeSink(_:)``.
    static func addSink(_ logger: Logger) -> UInt64 {
        _ = self.configured
        return self.sinks.withLock { sinks in
            defer { sinks.next += 1 }
            sinks.loggers[sinks.next] = logger
            return sinks.next
        }
    }

    static func removeSink(_ token: UInt64) {
        _ = self.sinks.withLock { $0.loggers.removeValue(forKey: token) }
    }

    static func log(_ text: String) {
        for logger in self.sinks.withLock({ Array($0.loggers.values) }) {
            logger.debug("\(text)", metadata: ["zk.source": "libzookeeper"])
        }
    }
}

/// The C library's per-handle log callback.
let zooKeeperLog: log_callback_fn = { message in
    guard let message else { return }
    ZooKeeperLibrary.log(String(cString: message))
}

/// The watcher for every handle: session changes and fired watches.
let zooKeeperWatcher: watcher_fn = { zh, type, state, path, context in
    guard let context else { return }
    let hub = Unmanaged<ZooKeeperEventHub>.fromOpaque(context).takeUnretainedValue()
    if type == ZOO_SESSION_EVENT {
        let session: ZooKeeperSessionState =
            switch state {
            case ZOO_CONNECTED_STATE: .connected
            case ZOO_READONLY_STATE: .connectedReadOnly
            case ZOO_EXPIRED_SESSION_STATE: .expired
            case ZOO_AUTH_FAILED_STATE: .authenticationFailed
            default: .connecting
            }
        var credentials: ZooKeeperSessionCredentials?
        var timeout: Duration?
        if session == .connected || session == .connectedReadOnly, let zh, let id = zoo_client_id(zh) {
            let password = withUnsafeBytes(of: id.pointee.passwd) { Array($0) }
            credentials = ZooKeeperSessionCredentials(id: id.pointee.client_id, password: password)
            timeout = .milliseconds(zoo_recv_timeout(zh))
        }
        hub.deliverSession(session, credentials: credentials, timeout: timeout)
        return
    }
    let kind: ZooKeeperNodeEventKind
    switch type {
    case ZOO_CREATED_EVENT: kind = .created
    case ZOO_DELETED_EVENT: kind = .deleted
    case ZOO_CHANGED_EVENT: kind = .dataChanged
    case ZOO_CHILD_EVENT: kind = .childrenChanged
    case ZOO_NOTWATCHING_EVENT: kind = .watchRemoved
    default: return
    }
    hub.deliverNode(kind, path: path.map { String(cString: $0) } ?? "")
}

/// The watcher's context: the session state and the ``ZooKeeperClient/events()`` subscribers.
final class ZooKeeperEventHub: Sendable {
    private struct State {
        var session: ZooKeeperSessionState = .connecting
        var credentials: ZooKeeperSessionCredentials?
        var timeout: Duration?
    }
    private let state = Mutex(State())
    /// Each subscriber keeps the newest 4,096 events when it lags. The registry, the one consumer in the
    /// library, does constant work per event (a state change, or noting a watched path), so it lags only by
    /// scheduling noise; the bound keeps a consumer that stopped iterating without cancelling from growing
    /// without limit while the C client keeps firing watches.
    private let broadcaster = EventBroadcaster<ZooKeeperEvent>(bufferingPolicy: .bufferingNewest(4096))

    var sessionState: ZooKeeperSessionState { self.state.withLock { $0.session } }
    var credentials: ZooKeeperSessionCredentials? { self.state.withLock { $0.credentials } }
    var negotiatedTimeout: Duration? { self.state.withLock { $0.timeout } }

    /// The current session state first, then every event; after ``finish()``, `.session(.closed)` and the end.
    func subscribe() -> AsyncStream<ZooKeeperEvent> {
        // Subscribed under our lock, so the current state is ordered before any later event.
        let stream = self.state.withLock { state in
            self.broadcaster.subscribe(initial: [.session(state.session)], deliverNow: false)
        }
        self.broadcaster.deliver()
        return stream
    }

    /// From the C thread. Repeated identical states (the C client reports `connecting` on every failed
    /// attempt) are yielded once.
    func deliverSession(_ session: ZooKeeperSessionState, credentials: ZooKeeperSessionCredentials?, timeout: Duration?)
    {
        self.state.withLock { state in
            guard !state.session.isTerminal else { return }
            if let credentials { state.credentials = credentials }
            if let timeout { state.timeout = timeout }
            guard state.session != session else { return }
            state.session = session
            self.broadcaster.enqueue(.session(session))
        }
        self.broadcaster.deliver()
    }

    /// From the C thread.
    func deliverNode(_ kind: ZooKeeperNodeEventKind, path: String) {
        self.broadcaster.yield(.node(kind, path: path))
    }

    /// After `zookeeper_close`: `.session(.closed)` to everyone, then the streams finish.
    func finish() {
        self.state.withLock { state in
            guard state.session != .closed else { return }
            state.session = .closed
            self.broadcaster.enqueue(.session(.closed))
            self.broadcaster.enqueueFinish()
        }
        self.broadcaster.deliver()
    }
}

/// What a completion delivers.
enum CompletionValue: Sendable {
    case none
    case string(String)
    case stat(ZooKeeperStat)
    case data([UInt8], ZooKeeperStat)
    case children([String])
}

/// One request in flight. Its address is the C `data` pointer; the ``PendingOperations`` table keeps it
/// alive until it is removed, and whoever removes it (the completion, a failed submission, or ``failAll()``
/// after `zookeeper_close`) resumes the continuation: so exactly once.
final class PendingOperation: Sendable {
    let id: UInt64
    let operation: String
    let path: String
    let table: PendingOperations
    private let continuation: CheckedContinuation<CompletionValue, any Error>

    init(
        id: UInt64,
        operation: String,
        path: String,
        table: PendingOperations,
        continuation: CheckedContinuation<CompletionValue, any Error>
    ) {
        self.id = id
        self.operation = operation
        self.path = path
        self.table = table
        self.continuation = continuation
    }

    /// Called only by the one who removed it from the table.
    fileprivate func resume(_ result: Result<CompletionValue, ZooKeeperError>) {
        self.continuation.resume(with: result.mapError { $0 as any Error })
    }

    /// Completes with the C return code (`ZOK` → `value()`), if nobody did yet.
    func complete(rc: Int32, _ value: () -> CompletionValue) {
        guard self.table.remove(self.id) != nil else { return }
        if rc == ZOK.rawValue {
            self.resume(.success(value()))
        } else {
            self.resume(.failure(ZooKeeperError(returnCode: rc, path: self.path, operation: self.operation)))
        }
    }
}

/// The requests in flight of one client.
final class PendingOperations: Sendable {
    private struct State {
        var operations: [UInt64: PendingOperation] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    func insert(
        operation: String,
        path: String,
        continuation: CheckedContinuation<CompletionValue, any Error>
    ) -> PendingOperation {
        self.state.withLock { state in
            let op = PendingOperation(
                id: state.nextID,
                operation: operation,
                path: path,
                table: self,
                continuation: continuation
            )
            state.nextID += 1
            state.operations[op.id] = op
            return op
        }
    }

    func remove(_ id: UInt64) -> PendingOperation? {
        self.state.withLock { $0.operations.removeValue(forKey: id) }
    }

    /// After `zookeeper_close` returned (no callback can run any more): fails whatever never completed.
    func failAll() {
        let remaining = self.state.withLock { state -> [PendingOperation] in
            defer { state.operations = [:] }
            return Array(state.operations.values)
        }
        for op in remaining {
            op.resume(
                .failure(ZooKeeperError(code: .closing, message: "\(op.operation): client closed", path: op.path)))
        }
    }
}

extension PendingOperation {
    /// The operation behind a C `data` pointer. Valid while the table holds it, which is the case whenever the
    /// C library calls a completion (see ``PendingOperation``).
    static func from(_ data: UnsafeRawPointer?) -> PendingOperation? {
        guard let data else { return nil }
        return Unmanaged<PendingOperation>.fromOpaque(data).takeUnretainedValue()
    }

    var context: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()) }
}

extension ZooKeeperStat {
    init(_ stat: Stat) {
        self.init(
            czxid: stat.czxid, mzxid: stat.mzxid, ctime: stat.ctime, mtime: stat.mtime, version: stat.version,
            cversion: stat.cversion, aversion: stat.aversion, ephemeralOwner: stat.ephemeralOwner,
            dataLength: stat.dataLength, numChildren: stat.numChildren, pzxid: stat.pzxid
        )
    }
}

// MARK: C completions (capture-less closures, so @convention(c))

let ignoreCompletion: void_completion_t = { _, _ in }

let voidCompletion: void_completion_t = { rc, data in
    PendingOperation.from(data)?.complete(rc: rc) { .none }
}

let stringCompletion: string_completion_t = { rc, value, data in
    PendingOperation.from(data)?.complete(rc: rc) { .string(value.map { String(cString: $0) } ?? "") }
}

let statCompletion: stat_completion_t = { rc, stat, data in
    PendingOperation.from(data)?.complete(rc: rc) { .stat(stat.map { ZooKeeperStat($0.pointee) } ?? ZooKeeperStat()) }
}

let dataCompletion: data_completion_t = { rc, value, length, stat, data in
    PendingOperation.from(data)?.complete(rc: rc) {
        // length is -1 for a node without data.
        let bytes: [UInt8] =
            if let value, length > 0 {
                Array(UnsafeRawBufferPointer(start: value, count: Int(length)))
            } else {
                []
            }
        return .data(bytes, stat.map { ZooKeeperStat($0.pointee) } ?? ZooKeeperStat())
    }
}

let childrenCompletion: strings_completion_t = { rc, strings, data in
    PendingOperation.from(data)?.complete(rc: rc) {
        guard let vector = strings?.pointee, vector.count > 0, let items = vector.data else { return .children([]) }
        return .children((0..<Int(vector.count)).compactMap { items[$0].map { String(cString: $0) } })
    }
}
