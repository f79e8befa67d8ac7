public import Logging
import NIOPosix
import Synchronization

/// An async Redis client over one hiredis connection, with reconnect and backoff.
///
/// hiredis is blocking and not thread-safe, so the connection lives on a dedicated one-thread
/// `NIOThreadPool`: never on an event loop, never on the Swift concurrency pool. Commands from any
/// task are queued there and run one after another, in the order they were issued.
///
/// A Redis that is down is not fatal: creating the client never connects, the first command does. After
/// a failure the client reconnects on the next command, then waits with exponential backoff
/// (``RedisConfiguration/reconnectInitialBackoff`` doubling to ``RedisConfiguration/reconnectMaxBackoff``);
/// commands issued while a reconnect is not due fail at once with ``RedisError/Code/connectionFailed``.
/// No command is ever retried by the client (it cannot know whether a command whose connection broke
/// ran); callers that need retries make their commands idempotent, as ``RedisCallCounter`` does.
///
/// ```swift
/// let client = try RedisClient(configuration: RedisConfiguration(address: "127.0.0.1:6379"), logger: logger)
/// let n = try await client.send("INCR", "krpc:demo").integer
/// let replies = try await client.pipeline([RedisCommand("GET", "a"), RedisCommand("GET", "b")])
/// await client.shutdown()
/// ```
///
/// - Important: Call ``shutdown()`` when done (or use ``withRedisClient(configuration:logger:_:)``).
public final class RedisClient: Sendable {
    /// Where and how this client connects.
    public let configuration: RedisConfiguration
    private let pool: NIOThreadPool
    private let worker: Worker
    private let status: StatusBox
    private let workerNanoseconds = Atomic<Int64>(0)

    /// Creates a client; it connects on first use (or on ``connect()``).
    /// - Parameters:
    ///   - configuration: server address, credentials, timeouts, backoff.
    ///   - logger: where connection state changes are logged (info) and failed reconnects (debug).
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidConfiguration`` naming a bad field.
    public init(configuration: RedisConfiguration, logger: Logger) throws(RedisError) {
        try configuration.validate()
        self.configuration = configuration
        self.status = StatusBox()
        self.worker = Worker(configuration: configuration, logger: logger, status: self.status)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.pool.start()
    }

    deinit {
        // A client dropped without shutdown() still stops its thread (and frees the connection with the worker).
        if self.status.state != .shutDown {
            self.pool.shutdownGracefully { _ in }
        }
    }

    /// The connection state now: `connected` after a successful command, `disconnected` after a failure.
    public var state: RedisConnectionState { self.status.state }

    /// The most recent connection-level error, if any (kept after reconnecting, for display).
    public var lastError: RedisError? { self.status.lastError }

    /// CPU time the client's own thread has spent on its commands so far (building, sending, waiting on and
    /// parsing replies, connecting): what this client's work costs, e.g. a publisher that has a client of its own.
    public var workerCPUTime: Duration { .nanoseconds(self.workerNanoseconds.load(ordering: .relaxed)) }

    /// The current state first, then each change, until ``shutdown()``.
    public func stateUpdates() -> AsyncStream<RedisConnectionState> { self.status.subscribe() }

    /// Connects now if not connected, ignoring the backoff (e.g. at start-up, to log whether Redis is there).
    /// - Throws: ``RedisError`` when the connection cannot be made; the client keeps retrying on later use.
    public func connect() async throws(RedisError) {
        try await self.onWorker { worker in worker.connectNow() }
    }

    /// Sends one command and returns its reply.
    /// - Throws: ``RedisError``: ``RedisError/Code/serverError`` with the server's text for an error reply;
    ///   connection-level codes when the command could not be sent or its reply not read.
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisValue {
        try await self.sendMeasuringWorkerTime(command).reply
    }

    /// ``send(_:)``, also returning the CPU time the command took on the client's thread (what a caller sharing
    /// the client with others can account as its own: the fleet view's publisher).
    func sendMeasuringWorkerTime(
        _ command: RedisCommand
    ) async throws(RedisError) -> (reply: RedisValue, workerCPUTime: Duration) {
        let (reply, cost) = try await self.measuredOnWorker { worker in
            worker.withConnection { connection throws(RedisError) in try connection.send(command) }
        }
        if let message = reply.errorMessage {
            throw RedisError(code: .serverError, message: "\(command.name): \(message)")
        }
        return (reply, cost)
    }

    /// Sends one command given as text: `try await client.send("HGETALL", key)`.
    public func send(_ name: String, _ arguments: String...) async throws(RedisError) -> RedisValue {
        try await self.send(RedisCommand(arguments: [name] + arguments))
    }

    /// Sends all `commands` in one round trip (pipelined) and returns their replies in order.
    ///
    /// An error reply to one command does not fail the others: it is returned in place as
    /// ``RedisValue/error(_:)``.
    /// - Throws: ``RedisError`` with a connection-level code when the pipeline could not be sent or its
    ///   replies not all read; then any prefix of the commands may have run.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisValue] {
        try await self.pipeline(commands, honoringCancellation: true)
    }

    /// ``pipeline(_:)``, optionally sent even when the calling task is cancelled: for work that must
    /// finish during a shutdown that cancelled its task (the counter's last flush), without an
    /// unstructured task to escape the cancellation.
    func pipeline(_ commands: [RedisCommand], honoringCancellation: Bool) async throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        return try await self.onWorker(honoringCancellation: honoringCancellation) { worker in
            worker.withConnection { connection throws(RedisError) in try connection.pipeline(commands) }
        }
    }

    /// Closes the connection and stops the client's thread. Later commands fail with
    /// ``RedisError/Code/shutDown``. Idempotent.
    public func shutdown() async {
        guard self.status.set(.shutDown) != .shutDown else { return }
        let worker = self.worker
        // Queued after every command issued before shutdown(), so those still run.
        _ = try? await self.pool.runIfActive { worker.close() }
        try? await self.pool.shutdownGracefully()
    }

    /// Runs `body` on the connection thread and maps pool errors into ``RedisError``. With
    /// `honoringCancellation`, a task cancelled before `body` ran gets ``RedisError/Code/cancelled``;
    /// without, `body` runs anyway (it is bounded by the connection's timeouts).
    private func onWorker<T: Sendable>(
        honoringCancellation: Bool = true,
        _ body: @escaping @Sendable (Worker) -> Result<T, RedisError>
    ) async throws(RedisError) -> T {
        try await self.measuredOnWorker(honoringCancellation: honoringCancellation, body).value
    }

    /// ``onWorker(honoringCancellation:_:)``, also returning the CPU time `body` took on the connection thread.
    private func measuredOnWorker<T: Sendable>(
        honoringCancellation: Bool = true,
        _ body: @escaping @Sendable (Worker) -> Result<T, RedisError>
    ) async throws(RedisError) -> (value: T, cpuTime: Duration) {
        if self.status.state == .shutDown {
            throw RedisError(code: .shutDown, message: "the redis client has been shut down")
        }
        let worker = self.worker
        // Every command's CPU time on the worker thread, summed (two clock reads per item: ~100 ns).
        let body: @Sendable (Worker) -> Result<(T, Duration), RedisError> = { [self] worker in
            let start = ThreadCPUTime.now()
            let result = body(worker)
            let cost = ThreadCPUTime.now() - start
            self.workerNanoseconds.add(
                cost.components.seconds * 1_000_000_000 + cost.components.attoseconds / 1_000_000_000,
                ordering: .relaxed)
            return result.map { ($0, cost) }
        }
        if !honoringCancellation {
            let result: Result<(T, Duration), RedisError> = await withCheckedContinuation { continuation in
                self.pool.submit { state in
                    switch state {
                    case .active:
                        continuation.resume(returning: body(worker))
                    case .cancelled:
                        let error = RedisError(code: .shutDown, message: "the redis client has been shut down")
                        continuation.resume(returning: .failure(error))
                    }
                }
            }
            return try result.get()
        }
        let result: Result<(T, Duration), RedisError>
        do {
            result = try await self.pool.runIfActive { body(worker) }
        } catch is CancellationError {
            throw RedisError(code: .cancelled, message: "the calling task was cancelled before the command ran")
        } catch {
            throw RedisError(code: .shutDown, message: "the redis client has been shut down (\(error))")
        }
        return try result.get()
    }
}

/// Runs `body` with a new ``RedisClient`` and shuts the client down afterwards, also when `body` throws.
public func withRedisClient<Result: Sendable>(
    configuration: RedisConfiguration,
    logger: Logger,
    _ body: (RedisClient) async throws -> Result
) async throws -> Result {
    let client = try RedisClient(configuration: configuration, logger: logger)
    do {
        let result = try await body(client)
        await client.shutdown()
        return result
    } catch {
        await client.shutdown()
        throw error
    }
}
