import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOPosix

/// The event-loop-confined side of a ``NodeConnection``: feeds its ``StateMachine`` the events
/// (calls, responses, connection attempts, the timer) with the loop's time, and performs what it
/// answers (writes, connects, resumes calls, publishes the connection state). Every method runs on
/// the connection's event loop.
final class ConnectionCore {
    /// A call as it enters the loop.
    struct Request: Sendable {
        var id: UInt64
        var service: String
        var method: String
        var payload: [UInt8]
        /// `NIODeadline.uptimeNanoseconds`.
        var deadline: UInt64
        var timeout: Duration
        /// Checked against the wire's limits already (``NodeConnection``).
        var metadata: KRPCMetadata = KRPCMetadata()
    }

    typealias Continuation = UnsafeContinuation<Result<ByteBuffer, KRPCError>, Never>
    typealias Waiter = UnsafeContinuation<Result<Void, KRPCError>, Never>

    let address: NodeAddress
    let configuration: NodeConnection.Configuration
    let eventLoop: any EventLoop
    private let observers: ConnectionObservers
    private var logger: Logger
    private var state: StateMachine<Continuation, Waiter>
    /// The handler of the open connection (between `connected` and its channel closing).
    private var handler: ClientConnectionHandler?
    private var channel: (any Channel)?
    private var timer: Scheduled<Void>?

    init(
        address: NodeAddress,
        configuration: NodeConnection.Configuration,
        eventLoop: any EventLoop,
        observers: ConnectionObservers
    ) {
        self.address = address
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.observers = observers
        self.logger = configuration.logger
        self.logger[metadataKey: "krpc.node"] = "\(address)"
        // Doubling from the first failed attempt (the attempt right after a drop is immediate), ±20 %.
        let backoff = Backoff(
            initial: configuration.initialBackoff,
            max: max(configuration.maximumBackoff, configuration.initialBackoff),
            multiplier: 2,
            jitter: 0.2
        )
        self.state = StateMachine(
            address: address,
            maximumFrameLength: configuration.maximumFrameLength,
            backoff: backoff,
            random: SplitMix64(seed: UInt64.random(in: .min ... .max))
        )
    }

    private var now: UInt64 { self.eventLoop.now.uptimeNanoseconds }

    // MARK: Calls

    func start(_ request: Request, continuation: Continuation) {
        switch self.state.startCall(request, continuation: continuation, now: self.now) {
        case .fail(let continuation, let error):
            continuation.resume(returning: .failure(error.error))
        case .write(let header, let timer):
            self.handler?.write(header: header, payload: request.payload)
            self.perform(timer)
        case .connect(let attempt, let timer):
            self.perform(timer)
            self.connect(attempt: attempt)
        case .queued(let timer):
            self.perform(timer)
        }
    }

    func cancel(id: UInt64) {
        self.perform(self.state.cancel(id: id), id: id)
    }

    /// A RESPONSE frame from the server.
    func receive(_ frame: Frame) {
        let header = frame.header
        switch self.state.responseReceived(id: header.requestID, status: header.status, message: header.message) {
        case .none:
            break  // answered after its deadline or cancellation: dropped
        case .succeed(let continuation):
            continuation.resume(returning: .success(frame.payload))
        case .fail(let continuation, let error):
            continuation.resume(returning: .failure(error.error))
        }
    }

    // MARK: Connecting

    func connectNow(_ waiter: Waiter) {
        switch self.state.connectRequested(waiter, now: self.now) {
        case .none:
            break
        case .resume(let waiter, let error):
            waiter.resume(returning: error.map { .failure($0.error) } ?? .success(()))
        case .connect(let attempt):
            self.connect(attempt: attempt)
        }
    }

    private func connect(attempt: UInt64) {
        self.observers.publish(.connecting)
        self.logger.debug("connecting")
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let parser = FrameParser(maximumFrameLength: self.configuration.maximumFrameLength)
        let flushEvery = self.configuration.flushEvery
        let logger = self.logger
        let timeout = self.configuration.connectTimeout
        ClientBootstrap(group: self.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .connectTimeout(.nanoseconds(Int64(clamping: timeout.nanoseconds)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ClientConnectionHandler(
                        core: bound.value,
                        attempt: attempt,
                        parser: parser,
                        flushEvery: flushEvery,
                        logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: self.address.host, port: self.address.port)
            .hop(to: self.eventLoop)
            .whenComplete { result in
                bound.value.connectCompleted(attempt: attempt, result)
            }
    }

    private func connectCompleted(attempt: UInt64, _ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            guard channel.isActive,
                let handler = try? channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
            else {
                channel.close(promise: nil)
                let cause = KRPCError(code: .unavailable, message: "closed right after connecting")
                self.connectCompleted(attempt: attempt, .failure(cause))
                return
            }
            switch self.state.connected(attempt: attempt, now: self.now) {
            case .closeChannel:
                channel.close(promise: nil)
            case .ready(let writes, let waiters):
                self.channel = channel
                self.handler = handler
                self.observers.publish(.ready)
                self.logger.debug("connected")
                for write in writes {
                    handler.write(header: write.header, payload: write.payload)
                }
                handler.flushNow()
                for waiter in waiters { waiter.resume(returning: .success(())) }
            }
        case .failure(let cause):
            switch self.state.connectFailed(attempt: attempt, cause: cause, now: self.now) {
            case .none:
                break
            case .backingOff(let error, let delay, let calls, let waiters):
                self.observers.publish(.backingOff(error.error, retryIn: delay))
                self.logger.debug("connection attempt failed", metadata: ["krpc.error": "\(cause)", "krpc.retry_in": "\(delay)"])
                for call in calls { call.resume(returning: .failure(error.error)) }
                for waiter in waiters { waiter.resume(returning: .failure(error.error)) }
            }
        }
    }

    /// The channel of connection attempt `attempt` closed: every call in flight fails with `error`.
    func channelClosed(attempt: UInt64, error: KRPCError) {
        switch self.state.channelClosed(attempt: attempt, error: error) {
        case .none:
            break
        case .failAll(let error, let calls, _):
            self.handler = nil
            self.channel = nil
            self.observers.publish(.idle)
            self.logger.debug("connection closed", metadata: ["krpc.error": "\(error)", "krpc.calls": "\(calls.count)"])
            for call in calls { call.resume(returning: .failure(error.error)) }
        }
    }

    // MARK: Closing

    func close() -> EventLoopFuture<Void> {
        switch self.state.closeRequested() {
        case .none:
            return self.eventLoop.makeSucceededVoidFuture()
        case .failAll(let error, let calls, let waiters):
            self.timer?.cancel()
            self.timer = nil
            for call in calls { call.resume(returning: .failure(error.error)) }
            for waiter in waiters { waiter.resume(returning: .failure(error.error)) }
        }
        self.observers.publish(.closed)
        self.handler = nil
        guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
        self.channel = nil
        let promise = self.eventLoop.makePromise(of: Void.self)
        channel.close(promise: nil)
        channel.closeFuture.cascade(to: promise)
        return promise.futureResult
    }

    // MARK: Performing actions

    private func perform(_ action: StateMachine<Continuation, Waiter>.EndAction, id: UInt64) {
        guard case .fail(let continuation, let error, let sendCancel) = action else { return }
        if sendCancel {
            self.handler?.write(header: FrameHeader(kind: .cancel, requestID: id), payload: [])
        }
        continuation.resume(returning: .failure(error.error))
    }

    private func perform(_ action: ConnectionTimer.Action) {
        guard case .schedule(let at) = action else { return }
        self.timer?.cancel()
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.timer = self.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(at)) {
            bound.value.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        let outcome = self.state.timerFired(now: self.now)
        for expired in outcome.expired {
            if expired.sendCancel {
                self.handler?.write(header: FrameHeader(kind: .cancel, requestID: expired.id), payload: [])
            }
            expired.continuation.resume(returning: .failure(expired.error.error))
        }
        self.perform(outcome.timer)
    }
}
