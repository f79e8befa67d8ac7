import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOPosix

/// The event-loop-confined state of a ``NodeConnection``: the connection phase, the calls in
/// flight, their deadlines. Every method runs on the connection's event loop.
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
    }

    typealias Continuation = UnsafeContinuation<Result<ByteBuffer, KRPCError>, Never>

    private struct Pending {
        var continuation: Continuation
        var deadline: UInt64
        var timeout: Duration
        var service: String
        var method: String
        /// The request, until it is written (while connecting).
        var unsent: [UInt8]?
    }

    private enum Phase {
        case idle
        case connecting
        case ready(ClientConnectionHandler)
        case backingOff(until: UInt64, error: KRPCError)
        case closed
    }

    let address: NodeAddress
    let configuration: NodeConnection.Configuration
    let eventLoop: any EventLoop
    private let observers: ConnectionObservers
    private var logger: Logger
    private var phase: Phase = .idle
    private var calls: [UInt64: Pending] = [:]
    /// Calls waiting for the connection, in arrival order.
    private var waiting: [UInt64] = []
    private var connectWaiters: [UnsafeContinuation<Result<Void, KRPCError>, Never>] = []
    private var deadlines = DeadlineQueue()
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64 = .max
    private var backoff: Backoff.Iterator
    private var random = SystemRandomNumberGenerator()
    private var channel: (any Channel)?

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
        self.backoff = Backoff(
            initial: configuration.initialBackoff,
            max: max(configuration.maximumBackoff, configuration.initialBackoff),
            multiplier: 2,
            jitter: 0.2
        ).makeIterator()
    }

    // MARK: Calls

    func start(_ request: Request, continuation: Continuation) {
        let now = NIODeadline.now().uptimeNanoseconds
        if request.deadline <= now {
            continuation.resume(returning: .failure(self.deadlineError(request.service, request.method, request.timeout)))
            return
        }
        // Most requests are far below the limit; compute the exact frame size only near it.
        if request.payload.count + request.service.utf8.count + request.method.utf8.count + 64
            > self.configuration.maximumFrameLength
        {
            let header = FrameHeader.request(id: request.id, service: request.service, method: request.method, deadlineMilliseconds: 1)
            let length = ByteBuffer.krpcFrameLength(header: header, payloadLength: request.payload.count)
            if length > self.configuration.maximumFrameLength {
                let error = KRPCError(
                    code: .frameTooLarge,
                    message: "request frame of \(length) bytes exceeds the maximum \(self.configuration.maximumFrameLength)"
                )
                continuation.resume(returning: .failure(error))
                return
            }
        }
        switch self.phase {
        case .closed:
            continuation.resume(returning: .failure(KRPCError(code: .unavailable, message: "connection to \(self.address) is closed")))
            return
        case .backingOff(let until, let error) where now < until:
            let message = "not connected to \(self.address); next attempt in \((until - now) / 1_000_000) ms after: \(error.message)"
            continuation.resume(returning: .failure(KRPCError(code: .unavailable, message: message, cause: error.cause)))
            return
        case .idle, .backingOff:
            self.beginConnecting()
            fallthrough
        case .connecting:
            self.calls[request.id] = Pending(
                continuation: continuation,
                deadline: request.deadline,
                timeout: request.timeout,
                service: request.service,
                method: request.method,
                unsent: request.payload
            )
            self.waiting.append(request.id)
        case .ready(let handler):
            self.calls[request.id] = Pending(
                continuation: continuation,
                deadline: request.deadline,
                timeout: request.timeout,
                service: request.service,
                method: request.method,
                unsent: nil
            )
            handler.write(
                header: .request(
                    id: request.id,
                    service: request.service,
                    method: request.method,
                    deadlineMilliseconds: Self.milliseconds(request.deadline &- now)
                ),
                payload: request.payload
            )
        }
        self.deadlines.push(deadline: request.deadline, id: request.id)
        self.deadlines.compactIfNeeded(liveCount: self.calls.count) {
            self.calls.map { .init(deadline: $0.value.deadline, id: $0.key) }
        }
        self.armTimer(request.deadline)
    }

    func cancel(id: UInt64) {
        guard let call = self.calls.removeValue(forKey: id) else { return }
        self.sendCancelIfSent(id: id, call)
        call.continuation.resume(returning: .failure(.cancelled("\(call.service).\(call.method)")))
    }

    /// A frame from the server.
    func receive(_ frame: Frame) {
        let header = frame.header
        switch header.kind {
        case .response:
            guard let call = self.calls.removeValue(forKey: header.requestID) else {
                return  // answered after its deadline or cancellation: dropped
            }
            if header.status == 0 {
                call.continuation.resume(returning: .success(frame.payload))
            } else {
                let error = KRPCError(code: KRPCError.Code(rawValue: header.status), message: header.message)
                call.continuation.resume(returning: .failure(error))
            }
        case .goaway, .request, .cancel:
            break  // handled by the channel handler
        }
    }

    // MARK: Connecting

    func connectNow(_ waiter: UnsafeContinuation<Result<Void, KRPCError>, Never>) {
        let now = NIODeadline.now().uptimeNanoseconds
        switch self.phase {
        case .ready:
            waiter.resume(returning: .success(()))
        case .closed:
            waiter.resume(returning: .failure(KRPCError(code: .unavailable, message: "connection to \(self.address) is closed")))
        case .backingOff(let until, let error) where now < until:
            waiter.resume(returning: .failure(error))
        case .idle, .backingOff:
            self.connectWaiters.append(waiter)
            self.beginConnecting()
        case .connecting:
            self.connectWaiters.append(waiter)
        }
    }

    private func beginConnecting() {
        self.phase = .connecting
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
                bound.value.connectCompleted(result)
            }
    }

    private func connectCompleted(_ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            guard case .connecting = self.phase else {
                channel.close(promise: nil)
                return
            }
            guard channel.isActive,
                let handler = try? channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
            else {
                channel.close(promise: nil)
                self.connectCompleted(.failure(KRPCError(code: .unavailable, message: "closed right after connecting")))
                return
            }
            self.channel = channel
            self.phase = .ready(handler)
            self.backoff.reset()
            self.observers.publish(.ready)
            self.logger.debug("connected")
            let now = NIODeadline.now().uptimeNanoseconds
            for id in self.waiting {
                guard var call = self.calls[id], let payload = call.unsent else { continue }
                call.unsent = nil
                self.calls[id] = call
                handler.write(
                    header: .request(
                        id: id,
                        service: call.service,
                        method: call.method,
                        deadlineMilliseconds: Self.milliseconds(call.deadline &- min(now, call.deadline))
                    ),
                    payload: payload
                )
            }
            self.waiting.removeAll()
            handler.flushNow()
            let waiters = self.connectWaiters
            self.connectWaiters.removeAll()
            for waiter in waiters { waiter.resume(returning: .success(())) }
        case .failure(let cause):
            guard case .connecting = self.phase else { return }
            let delay = self.backoff.next(using: &self.random)
            let error = KRPCError(code: .unavailable, message: "cannot connect to \(self.address): \(cause)", cause: cause)
            self.phase = .backingOff(until: NIODeadline.now().uptimeNanoseconds &+ delay.nanoseconds, error: error)
            self.observers.publish(.backingOff(error, retryIn: delay))
            self.logger.debug("connection attempt failed", metadata: ["krpc.error": "\(cause)", "krpc.retry_in": "\(delay)"])
            self.failWaiting(error)
            let waiters = self.connectWaiters
            self.connectWaiters.removeAll()
            for waiter in waiters { waiter.resume(returning: .failure(error)) }
        }
    }

    /// The channel of `handler` closed: every call in flight fails with `error`.
    func channelClosed(_ handler: ClientConnectionHandler, error: KRPCError) {
        guard case .ready(let current) = self.phase, current === handler else { return }
        self.phase = .idle
        self.channel = nil
        self.observers.publish(.idle)
        self.logger.debug("connection closed", metadata: ["krpc.error": "\(error)", "krpc.calls": "\(self.calls.count)"])
        self.failAll(error)
    }

    // MARK: Closing

    func close() -> EventLoopFuture<Void> {
        if case .closed = self.phase { return self.eventLoop.makeSucceededVoidFuture() }
        self.phase = .closed
        self.timer?.cancel()
        self.timer = nil
        let error = KRPCError(code: .unavailable, message: "connection to \(self.address) was closed by the client")
        self.failAll(error)
        let waiters = self.connectWaiters
        self.connectWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: .failure(error)) }
        self.observers.publish(.closed)
        guard let channel = self.channel else { return self.eventLoop.makeSucceededVoidFuture() }
        self.channel = nil
        let promise = self.eventLoop.makePromise(of: Void.self)
        channel.close(promise: nil)
        channel.closeFuture.cascade(to: promise)
        return promise.futureResult
    }

    private func failAll(_ error: KRPCError) {
        let calls = self.calls
        self.calls.removeAll()
        self.waiting.removeAll()
        self.deadlines.removeAll()
        for (_, call) in calls {
            call.continuation.resume(returning: .failure(error))
        }
    }

    private func failWaiting(_ error: KRPCError) {
        for id in self.waiting {
            guard let call = self.calls.removeValue(forKey: id) else { continue }
            call.continuation.resume(returning: .failure(error))
        }
        self.waiting.removeAll()
    }

    // MARK: Deadlines

    private func armTimer(_ deadline: UInt64) {
        guard deadline < self.timerDeadline else { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.timer = self.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
            bound.value.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = .max
        let now = NIODeadline.now().uptimeNanoseconds
        while let top = self.deadlines.minimum {
            if let call = self.calls[top.id], call.deadline == top.deadline {
                guard top.deadline <= now else { break }
                _ = self.deadlines.pop()
                self.calls.removeValue(forKey: top.id)
                self.sendCancelIfSent(id: top.id, call)
                call.continuation.resume(returning: .failure(self.deadlineError(call.service, call.method, call.timeout)))
            } else {
                _ = self.deadlines.pop()
            }
        }
        if let top = self.deadlines.minimum {
            self.armTimer(top.deadline)
        }
    }

    private func sendCancelIfSent(id: UInt64, _ call: Pending) {
        guard call.unsent == nil, case .ready(let handler) = self.phase else { return }
        handler.write(header: FrameHeader(kind: .cancel, requestID: id), payload: [])
    }

    private func deadlineError(_ service: String, _ method: String, _ timeout: Duration) -> KRPCError {
        KRPCError(
            code: .deadlineExceeded,
            message: "\(service).\(method) on \(self.address) exceeded its deadline of \(Self.milliseconds(timeout)) ms"
        )
    }

    /// Whole milliseconds, for messages (a Duration prints as `4.9997204150000005 seconds`).
    private static func milliseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
    }

    /// Milliseconds for the wire, rounded up so that a call with time left never sends 0 ("none").
    private static func milliseconds(_ nanoseconds: UInt64) -> UInt32 {
        UInt32(clamping: max(1, (nanoseconds + 999_999) / 1_000_000))
    }
}
