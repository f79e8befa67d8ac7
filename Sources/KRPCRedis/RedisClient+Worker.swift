import KRPCPolicy
import Logging
import Synchronization

extension RedisClient {
    /// The connection state shared between the worker thread (which changes it) and any reader.
    final class StatusBox: Sendable {
        private struct Status {
            var state: RedisConnectionState = .connecting
            var lastError: RedisError?
            var subscribers: [Int: AsyncStream<RedisConnectionState>.Continuation] = [:]
            var nextSubscriberID = 0
        }

        private let status = Mutex(Status())

        var state: RedisConnectionState { self.status.withLock { $0.state } }
        var lastError: RedisError? { self.status.withLock { $0.lastError } }

        /// Sets the state; returns the previous one. Subscribers hear of changes only.
        @discardableResult
        func set(_ state: RedisConnectionState, error: RedisError? = nil) -> RedisConnectionState {
            let (previous, subscribers) = self.status.withLock { status in
                let previous = status.state
                // Once shut down, stay shut down (a late work item must not bring the state back).
                if previous != .shutDown { status.state = state }
                if let error { status.lastError = error }
                let changed = previous != status.state
                return (previous, changed ? Array(status.subscribers.values) : [])
            }
            for subscriber in subscribers { subscriber.yield(state) }
            if state == .shutDown && previous != .shutDown { self.finishSubscribers() }
            return previous
        }

        func subscribe() -> AsyncStream<RedisConnectionState> {
            let (stream, continuation) = AsyncStream.makeStream(
                of: RedisConnectionState.self,
                bufferingPolicy: .bufferingNewest(16)
            )
            let (id, current) = self.status.withLock { status in
                let id = status.nextSubscriberID
                status.nextSubscriberID += 1
                if status.state != .shutDown { status.subscribers[id] = continuation }
                return (id, status.state)
            }
            continuation.yield(current)
            if current == .shutDown {
                continuation.finish()
            } else {
                continuation.onTermination = { [weak self] _ in
                    self?.status.withLock { _ = $0.subscribers.removeValue(forKey: id) }
                }
            }
            return stream
        }

        private func finishSubscribers() {
            let subscribers = self.status.withLock { status in
                defer { status.subscribers.removeAll() }
                return Array(status.subscribers.values)
            }
            for subscriber in subscribers { subscriber.finish() }
        }
    }

    /// Owns the hiredis connection and the reconnect schedule.
    ///
    /// `@unchecked Sendable`: the mutable fields (`connection`, `backoff`, `nextAttempt`, `generator`) are
    /// touched only from work items of the client's `NIOThreadPool`, which has exactly one thread and runs
    /// its items one after another, so they are never accessed concurrently. After the pool has stopped no
    /// work item runs, and the last reference is released by whichever thread drops it, with no one else
    /// left to touch the fields. The other stored properties are immutable and `Sendable`.
    final class Worker: @unchecked Sendable {
        let configuration: RedisConfiguration
        let logger: Logger
        let status: StatusBox
        private var connection: RedisConnection?
        private var backoff: Backoff.Iterator
        private var nextAttempt: ContinuousClock.Instant?
        private var generator = SystemRandomNumberGenerator()

        init(configuration: RedisConfiguration, logger: Logger, status: StatusBox) {
            self.configuration = configuration
            self.logger = logger
            self.status = status
            // Doubling from the first wait, ±20 %, so that many clients do not reconnect in lock step.
            self.backoff = Backoff(
                initial: configuration.reconnectInitialBackoff,
                max: max(configuration.reconnectMaxBackoff, configuration.reconnectInitialBackoff),
                multiplier: 2,
                jitter: 0.2
            ).makeIterator()
        }

        /// Runs `body` on the live connection, connecting first when needed and allowed by the backoff.
        func withConnection<T>(
            _ body: (RedisConnection) throws(RedisError) -> T
        ) -> Result<T, RedisError> {
            let connection: RedisConnection
            switch self.currentConnection(ignoringBackoff: false) {
            case .success(let live): connection = live
            case .failure(let error): return .failure(error)
            }
            do throws(RedisError) {
                return .success(try body(connection))
            } catch {
                if connection.isClosed {
                    // A connection-level failure: the next call reconnects at once (the server may just have
                    // closed an idle connection); the backoff applies if that attempt fails too.
                    self.connection = nil
                    self.nextAttempt = nil
                    self.markDisconnected(error)
                }
                return .failure(error)
            }
        }

        /// Connects now if not connected, whatever the backoff says.
        func connectNow() -> Result<Void, RedisError> {
            self.currentConnection(ignoringBackoff: true).map { _ in () }
        }

        /// Closes the connection (at shutdown).
        func close() {
            self.connection?.close()
            self.connection = nil
        }

        private func currentConnection(ignoringBackoff: Bool) -> Result<RedisConnection, RedisError> {
            if let connection = self.connection { return .success(connection) }
            let now = ContinuousClock.now
            if !ignoringBackoff, let next = self.nextAttempt, now < next {
                let last = self.status.lastError.map { " (last error: \($0))" } ?? ""
                return .failure(
                    RedisError(
                        code: .connectionFailed,
                        message:
                            "redis at \(self.configuration.address) is not connected; next attempt in \(next - now)\(last)"
                    )
                )
            }
            do throws(RedisError) {
                let connection = try RedisConnection.connect(self.configuration)
                self.connection = connection
                self.nextAttempt = nil
                self.backoff.reset()
                let previous = self.status.set(.connected)
                if previous != .connected {
                    self.logger.info("redis connected", metadata: ["redis.address": "\(self.configuration.address)"])
                }
                return .success(connection)
            } catch {
                let wait = self.backoff.next(using: &self.generator)
                self.nextAttempt = now + wait
                self.markDisconnected(error, retryIn: wait)
                return .failure(error)
            }
        }

        private func markDisconnected(_ error: RedisError, retryIn wait: Duration? = nil) {
            let previous = self.status.set(.disconnected, error: error)
            var metadata: Logger.Metadata = [
                "redis.address": "\(self.configuration.address)", "redis.error": "\(error)",
            ]
            if let wait { metadata["redis.retry_in"] = "\(wait)" }
            // One info line per transition; repeated failed attempts while down are debug.
            if previous != .disconnected {
                self.logger.info("redis unreachable; reconnecting with backoff", metadata: metadata)
            } else {
                self.logger.debug("redis reconnect attempt failed", metadata: metadata)
            }
        }
    }
}
