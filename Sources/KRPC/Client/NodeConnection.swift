public import KRPCPolicy
public import KRPCWire
public import NIOCore
import NIOPosix
import Synchronization

/// A persistent, multiplexed client connection to one krpc node.
///
/// Many calls share one TCP connection, told apart by request id; responses come back in any
/// order. The connection is opened by the first call (or ``connect()``); when it drops, every
/// call in flight fails at once with ``KRPCError/Code/unavailable``, and the next call reconnects
/// (immediately the first time, then with exponential backoff while attempts fail; calls made
/// during a backoff fail fast). Each call has a deadline (default 5 s) that is also sent to the
/// server; cancelling the calling task cancels the call. Every call ends in its response or a
/// ``KRPCError``, never a hang.
///
/// Calls from any task work. Calls from a task pinned to the connection's event loop skip a
/// thread hop each way, which roughly halves their CPU cost:
///
/// ```swift
/// let connection = NodeConnection(to: NodeAddress(host: "127.0.0.1", port: 8000))
/// let users = UserServiceClient(connection)
/// let reply = try await users.login(name: "zhangsan", pwd: "123456")
///
/// // Fastest: run the calling task on the connection's event loop.
/// let task = Task(executorPreference: connection.executor) {
///     try await EchoClient(connection).echo(request)
/// }
/// // ...
/// await connection.close()
/// ```
public final class NodeConnection: KRPCCaller, Sendable {
    /// The node this connection talks to.
    public let address: NodeAddress
    /// The configuration it was created with.
    public let configuration: Configuration
    /// The event loop the connection's channel and bookkeeping live on.
    public let eventLoop: any EventLoop
    private let loopExecutor: EventLoopTaskExecutor
    private let interceptors: ClientInterceptorChain?
    private let core: NIOLoopBoundBox<ConnectionCore>
    private let observers: ConnectionObservers
    private let nextRequestID = Atomic<UInt64>(1)
    private let closeRequested = Atomic<Bool>(false)
    private let inbox = Mutex(Inbox())

    /// A call made off the event loop, on its way to it.
    private struct Submission: Sendable {
        var request: ConnectionCore.Request
        var continuation: ConnectionCore.Continuation
    }

    private struct Inbox {
        var items: [Submission] = []
        var drainScheduled = false
    }

    /// Creates a connection to `address`; nothing connects before the first call or ``connect()``.
    ///
    /// - Parameters:
    ///   - address: the node.
    ///   - configuration: deadlines, timeouts, backoff, limits.
    ///   - eventLoopGroup: where to run; one loop is picked (`nil`: the NIO singleton group).
    public init(
        to address: NodeAddress,
        configuration: Configuration = Configuration(),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) {
        self.address = address
        self.configuration = configuration
        let loop = (eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton).next()
        self.eventLoop = loop
        self.loopExecutor = EventLoopTaskExecutor(eventLoop: loop)
        self.interceptors = ClientInterceptorChain(configuration.interceptors)
        let observers = ConnectionObservers()
        self.observers = observers
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            ConnectionCore(address: address, configuration: configuration, eventLoop: loop, observers: observers),
            as: ConnectionCore.self,
            eventLoop: loop
        )
    }

    deinit {
        // Closed already (the usual case): nothing to schedule, and the loop may be gone.
        guard !self.closeRequested.load(ordering: .acquiring) else { return }
        let core = self.core
        self.eventLoop.execute { _ = core.value.close() }
    }

    /// A task executor on the connection's event loop: give it as `executorPreference` to the
    /// tasks that make many calls, so that they make no thread hop.
    public var executor: any TaskExecutor { self.loopExecutor }

    /// The current state of the TCP connection.
    public var state: NodeConnectionState { self.observers.current }

    /// The current state first, then every change, until the connection is closed.
    public func stateUpdates() -> AsyncStream<NodeConnectionState> {
        self.observers.subscribe()
    }

    /// Connects now instead of on the first call; returns once connected.
    /// - Throws: ``KRPCError/Code/unavailable`` when the attempt fails or a backoff is running.
    public func connect() async throws(KRPCError) {
        let result: Result<Void, KRPCError> = await withUnsafeContinuation { continuation in
            let core = self.core
            self.eventLoop.execute { core.value.connectNow(continuation) }
        }
        try result.get()
    }

    /// Calls `service`.`method` with a serialized request; returns the serialized response.
    ///
    /// - Parameters:
    ///   - payload: the serialized request message.
    ///   - deadline: how long to wait; `nil` = ``Configuration/defaultDeadline``. Sent to the server,
    ///     which gives up then too.
    /// - Returns: the response payload (a slice of the received bytes).
    /// - Throws: ``KRPCError``: the server's error; ``KRPCError/Code/deadlineExceeded``;
    ///   ``KRPCError/Code/cancelled`` when the task was cancelled; ``KRPCError/Code/unavailable``
    ///   when the node cannot be reached or the connection dropped;
    ///   ``KRPCError/Code/frameTooLarge`` when the request exceeds the maximum frame length.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration? = nil
    ) async throws(KRPCError) -> ByteBuffer {
        try await self.call(
            service: service, method: method, payload: payload, deadline: deadline, metadata: KRPCMetadata()
        )
    }

    /// Calls `service`.`method` with a serialized request and metadata, through the connection's
    /// interceptors (``Configuration/interceptors``); returns the serialized response.
    ///
    /// - Parameters: as ``call(service:method:payload:deadline:)``, and `metadata`, sent in the
    ///   request header.
    /// - Returns: the response payload (a slice of the received bytes).
    /// - Throws: ``KRPCError``: as ``call(service:method:payload:deadline:)``; an interceptor's error;
    ///   ``KRPCError/Code/invalidRequest`` (nothing sent) when the metadata is over the wire's limits.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration? = nil,
        metadata: KRPCMetadata
    ) async throws(KRPCError) -> ByteBuffer {
        let timeout = deadline ?? self.configuration.defaultDeadline
        guard let interceptors = self.interceptors else {
            return try await self.send(
                service: service, method: method, payload: payload, metadata: metadata, timeout: timeout
            )
        }
        return try await interceptors.run(
            ServiceKey(service: service, method: method), payload: payload, metadata: metadata,
            deadline: .now + timeout
        ) { (key, payload, metadata, deadline) async throws(KRPCError) -> ByteBuffer in
            try await self.send(
                service: key.service, method: key.method, payload: payload, metadata: metadata,
                timeout: deadline - .now
            )
        }
    }

    /// Sends one request and waits for its response: a call past the interceptors.
    private func send(
        service: String,
        method: String,
        payload: [UInt8],
        metadata: KRPCMetadata,
        timeout: Duration
    ) async throws(KRPCError) -> ByteBuffer {
        if !metadata.isEmpty, let violation = metadata.wireViolation() {
            throw KRPCError(code: .invalidRequest, message: "\(service).\(method): \(violation)")
        }
        let id = self.nextRequestID.add(1, ordering: .relaxed).oldValue
        let request = ConnectionCore.Request(
            id: id,
            service: service,
            method: method,
            payload: payload,
            deadline: Self.deadline(after: timeout),
            timeout: timeout,
            metadata: metadata
        )
        let core = self.core
        let loop = self.eventLoop
        let result: Result<ByteBuffer, KRPCError> = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                if loop.inEventLoop {
                    // A cancellation after this check sends its cancel to the loop, behind this job.
                    if Task.isCancelled {
                        continuation.resume(returning: .failure(.cancelled("\(service).\(method)")))
                    } else {
                        core.value.start(request, continuation: continuation)
                    }
                } else {
                    self.submit(Submission(request: request, continuation: continuation))
                }
            }
        } onCancel: {
            self.cancel(id: id)
        }
        return try result.get()
    }

    /// Ends call `id` because its task was cancelled: in the inbox when it has not reached the loop
    /// yet, else on the loop, after the drain that started it (that drain took it from the inbox,
    /// under the same lock, before this runs).
    private func cancel(id: UInt64) {
        let unsent: Submission? = self.inbox.withLock { inbox in
            guard let index = inbox.items.firstIndex(where: { $0.request.id == id }) else { return nil }
            return inbox.items.remove(at: index)
        }
        if let unsent {
            let request = unsent.request
            unsent.continuation.resume(returning: .failure(.cancelled("\(request.service).\(request.method)")))
            return
        }
        let core = self.core
        if self.eventLoop.inEventLoop {
            core.value.cancel(id: id)
        } else {
            self.eventLoop.execute { core.value.cancel(id: id) }
        }
    }

    /// `NIODeadline.uptimeNanoseconds` `timeout` from now; saturating, so that a deadline of years does
    /// not wrap around into the past.
    private static func deadline(after timeout: Duration) -> UInt64 {
        let (sum, overflow) = NIODeadline.now().uptimeNanoseconds.addingReportingOverflow(timeout.nanoseconds)
        return overflow ? .max : sum
    }

    /// Hands a call made off the event loop to the loop. Calls arriving together share one hop:
    /// the first schedules a drain, the others only append (shared/bench/FINDINGS.md, lesson 4:
    /// one `execute` per call costs a wake-up and a flush each).
    ///
    /// The task's cancellation flag is read under the inbox lock, which ``cancel(id:)`` takes too:
    /// a cancellation lands either before (the call ends here) or after the call is in the inbox
    /// (where ``cancel(id:)`` finds it, or behind which it sends its cancel to the loop). No
    /// reference to the task travels to the loop.
    private func submit(_ submission: Submission) {
        let (schedule, cancelled): (Bool, Bool) = self.inbox.withLock { inbox in
            if Task.isCancelled { return (false, true) }
            inbox.items.append(submission)
            if inbox.drainScheduled { return (false, false) }
            inbox.drainScheduled = true
            return (true, false)
        }
        if cancelled {
            let request = submission.request
            submission.continuation.resume(returning: .failure(.cancelled("\(request.service).\(request.method)")))
            return
        }
        guard schedule else { return }
        let core = self.core
        self.eventLoop.execute {
            var taken: [Submission] = []
            self.inbox.withLock { inbox in
                swap(&taken, &inbox.items)
                inbox.drainScheduled = false
            }
            let value = core.value
            for item in taken {
                value.start(item.request, continuation: item.continuation)
            }
        }
    }

    /// Calls with a payload in a `ByteBuffer` (copied into the frame).
    package func call(
        service: String,
        method: String,
        payload: ByteBuffer,
        deadline: Duration? = nil
    ) async throws(KRPCError) -> ByteBuffer {
        try await self.call(service: service, method: method, payload: Array(payload.readableBytesView), deadline: deadline)
    }

    /// Closes the connection for good: calls in flight fail with ``KRPCError/Code/unavailable``,
    /// later calls too. Returns once the socket is closed.
    public func close() async {
        self.closeRequested.store(true, ordering: .releasing)
        let core = self.core
        let future = self.eventLoop.flatSubmit { core.value.close() }
        try? await future.get()
    }
}

/// The observed connection state and its subscribers; updated from the event loop on transitions
/// only (never per call).
final class ConnectionObservers: Sendable {
    private struct State {
        var current: NodeConnectionState = .idle
        var nextID = 0
        var continuations: [Int: AsyncStream<NodeConnectionState>.Continuation] = [:]
    }

    private let state = Mutex(State())

    var current: NodeConnectionState { self.state.withLock { $0.current } }

    func publish(_ new: NodeConnectionState) {
        let continuations = self.state.withLock { state in
            state.current = new
            return Array(state.continuations.values)
        }
        for continuation in continuations {
            continuation.yield(new)
            if case .closed = new { continuation.finish() }
        }
    }

    func subscribe() -> AsyncStream<NodeConnectionState> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: NodeConnectionState.self,
            bufferingPolicy: .bufferingNewest(64)
        )
        let current: NodeConnectionState = self.state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            if case .closed = state.current {} else { state.continuations[id] = continuation }
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.continuations.removeValue(forKey: id) }
            }
            return state.current
        }
        continuation.yield(current)
        if case .closed = current { continuation.finish() }
        return stream
    }
}
