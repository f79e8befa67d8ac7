import KRPCPolicy
import KRPCWire
import Logging
import NIOCore

/// Settings every connection of one server shares.
struct ServerConnectionSettings: Sendable {
    var table: MethodTable
    var maximumFrameLength: Int
    var flushEvery: Int
    /// Calls one connection may have in flight; past it, requests are answered `overloaded`.
    var maximumConcurrentCalls: Int
    var idleTimeout: Duration?
    var logger: Logger
    var faultSource: (any FaultSource)?
    var counters: (any CallCounterStore)?
    var node: NodeAddress
}

/// Sent down a server connection's pipeline when the server begins its graceful shutdown.
struct ServerDrainEvent: Sendable {}

/// One accepted connection: cuts frames, dispatches requests, writes responses. Confined to the
/// channel's event loop.
///
/// Each request runs in its own task (`Task.immediate` pinned to this event loop): a handler
/// that does not suspend runs to completion inside `channelRead`, with no thread hop; one that
/// suspends costs no thread. Responses go into one batch buffer, written and flushed every
/// `flushEvery` frames and at the end of the read batch or loop tick. Deadlines share one timer
/// per connection (``DeadlineQueue``).
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Call {
        var task: Task<Void, Never>?
        /// `NIODeadline.uptimeNanoseconds`; 0 = no deadline.
        var deadline: UInt64
        var start: UInt64
        var entry: MethodEntry
    }

    private let settings: ServerConnectionSettings
    private let executor: EventLoopTaskExecutor
    private var logger: Logger
    private var accumulator: FrameAccumulator
    private var context: ChannelHandlerContext?
    private var out: ByteBuffer
    private var pendingFrames = 0
    private var flushScheduled = false
    private var inReadLoop = false
    private var calls: [UInt64: Call] = [:]
    private var deadlines = DeadlineQueue()
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64 = .max
    private var idleTimer: Scheduled<Void>?
    private var lastActivity: UInt64 = 0
    private var peer: SocketAddress?
    /// Set once the server drains: close when no call is left.
    private var closeWhenIdle = false
    private var draining = false
    private var closed = false

    init(settings: ServerConnectionSettings, eventLoop: any EventLoop) {
        self.settings = settings
        self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.logger = settings.logger
        self.accumulator = FrameAccumulator(parser: FrameParser(maximumFrameLength: settings.maximumFrameLength))
        self.out = ByteBuffer()
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.out = context.channel.allocator.buffer(capacity: 16 * 1024)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.peer = context.remoteAddress
        self.logger[metadataKey: "krpc.peer"] = "\(self.peer.map { "\($0)" } ?? "?")"
        self.logger.debug("connection accepted")
        self.lastActivity = NIODeadline.now().uptimeNanoseconds
        self.scheduleIdleCheck()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        do {
            try self.accumulator.finish()
        } catch {
            self.logger.info("connection closed by the client mid-frame", metadata: ["krpc.error": "\(error)"])
        }
        self.timer?.cancel()
        self.idleTimer?.cancel()
        let now = NIODeadline.now().uptimeNanoseconds
        let dropped = self.calls
        self.calls.removeAll()
        self.deadlines.removeAll()
        for (_, call) in dropped {
            call.task?.cancel()
            self.record(call, failed: true, now: now)
        }
        if !dropped.isEmpty {
            self.logger.debug("connection closed with calls in flight", metadata: ["krpc.calls": "\(dropped.count)"])
        } else {
            self.logger.debug("connection closed")
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closed else { return }
        var bytes = Self.unwrapInboundIn(data)
        self.inReadLoop = true
        self.accumulator.append(&bytes)
        while !self.closed {
            let frame: Frame?
            do {
                frame = try self.accumulator.next()
            } catch {
                self.failConnection(decodingError: error)
                break
            }
            guard let frame else { break }
            self.handle(frame)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inReadLoop = false
        self.lastActivity = NIODeadline.now().uptimeNanoseconds
        self.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Back-pressure: a client that does not read its responses stops being read from.
        let writable = context.channel.isWritable
        context.channel.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ServerDrainEvent {
            self.draining = true
            self.closeWhenIdle = true
            self.closeIfIdle()
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // End of input. Mid-frame, the client gets a GOAWAY saying so (it may still read);
            // otherwise the client is gone: close, which cancels the calls in flight.
            do {
                try self.accumulator.finish()
                self.closed = true
                context.close(promise: nil)
            } catch {
                self.sendGoaway(code: .protocolError, message: "\(error)")
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: ["krpc.error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Requests

    private func handle(_ frame: Frame) {
        let header = frame.header
        switch header.kind {
        case .request:
            self.handleRequest(header, payload: frame.payload)
        case .cancel:
            guard let call = self.calls.removeValue(forKey: header.requestID) else { return }
            call.task?.cancel()
            self.record(call, failed: true, now: NIODeadline.now().uptimeNanoseconds)
            self.closeIfIdle()
        case .response, .goaway:
            self.sendGoaway(code: .protocolError, message: "a client must not send \(header.kind) frames")
        }
    }

    private func handleRequest(_ header: FrameHeader, payload: ByteBuffer) {
        let id = header.requestID
        guard id != 0 else {
            self.sendGoaway(code: .protocolError, message: "request id 0 is reserved")
            return
        }
        guard self.calls[id] == nil else {
            self.sendGoaway(code: .protocolError, message: "request id \(id) is already in flight")
            return
        }
        let entry: MethodEntry
        switch self.settings.table.lookup(service: header.service, method: header.method) {
        case .found(let found):
            entry = found
        case .unknownService:
            let message =
                header.service.isEmpty ? "request names no service" : "unknown service '\(header.service)'"
            self.writeResponse(id: id, .failure(KRPCError(code: .unknownService, message: message)))
            return
        case .unknownMethod:
            self.writeResponse(
                id: id,
                .failure(KRPCError(code: .unknownMethod, message: "\(header.service) has no method '\(header.method)'"))
            )
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        let deadline = header.deadlineMilliseconds == 0 ? 0 : now &+ UInt64(header.deadlineMilliseconds) * 1_000_000
        let call = Call(task: nil, deadline: deadline, start: now, entry: entry)
        entry.statistics.callStarted()
        if self.draining {
            self.finish(call, id: id, .failure(KRPCError(code: .unavailable, message: "server is shutting down")), now: now)
            return
        }
        if self.calls.count >= self.settings.maximumConcurrentCalls {
            let message = "\(entry.key) refused: \(self.calls.count) calls already in flight on this connection (the limit)"
            self.finish(call, id: id, .failure(KRPCError(code: .overloaded, message: message)), now: now)
            return
        }
        var delay: UInt64 = 0
        if !entry.ignoresFaults, let fault = self.settings.faultSource?.currentFault() {
            switch fault {
            case .error:
                self.finish(call, id: id, .failure(KRPCError(code: .internal, message: "injected error")), now: now)
                return
            case .errorRate(let p):
                if Double.random(in: 0..<1) < p {
                    self.finish(call, id: id, .failure(KRPCError(code: .internal, message: "injected error")), now: now)
                    return
                }
            case .timeout:
                // Held: no task, no thread. Answered deadlineExceeded when the caller's deadline
                // passes, dropped when the connection closes.
                self.register(call, id: id)
                return
            case .delay(let ms):
                // Clamped: any FaultSource may hand over any Int, and the product must not overflow.
                delay = UInt64(min(max(0, ms), Fault.maximumDelayMilliseconds)) * 1_000_000
            }
        }
        self.register(call, id: id)
        self.start(call, id: id, header: header, payload: payload, delayNanoseconds: delay)
    }

    private func register(_ call: Call, id: UInt64) {
        self.calls[id] = call
        guard call.deadline != 0 else { return }
        self.deadlines.push(deadline: call.deadline, id: id)
        self.deadlines.compactIfNeeded(liveCount: self.calls.count) {
            self.calls.compactMap { $0.value.deadline == 0 ? nil : .init(deadline: $0.value.deadline, id: $0.key) }
        }
        self.armTimer(call.deadline)
    }

    private func start(_ call: Call, id: UInt64, header: FrameHeader, payload: ByteBuffer, delayNanoseconds: UInt64) {
        guard let context = self.context else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let serverContext = KRPCServerContext(
            service: header.service,
            method: header.method,
            requestID: id,
            deadline: call.deadline == 0 ? nil : NIODeadline.uptimeNanoseconds(call.deadline),
            peer: self.peer,
            logger: self.logger
        )
        let invoke = call.entry.invoke
        let task = Task.immediate(executorPreference: self.executor) {
            if delayNanoseconds > 0 {
                do {
                    try await Task.sleep(nanoseconds: delayNanoseconds)
                } catch {
                    return  // cancelled: the call already ended (deadline, cancel, close)
                }
            }
            let result = await invoke(payload, serverContext)
            if loop.inEventLoop {
                bound.value.complete(id: id, result)
            } else {
                loop.execute { bound.value.complete(id: id, result) }
            }
        }
        // The task may have completed synchronously (and removed the call) already.
        if self.calls[id] != nil {
            self.calls[id]!.task = task
        }
    }

    private func complete(id: UInt64, _ result: Result<[UInt8], KRPCError>) {
        guard let call = self.calls.removeValue(forKey: id) else { return }  // timed out or cancelled
        self.finish(call, id: id, result, now: NIODeadline.now().uptimeNanoseconds)
        self.closeIfIdle()
    }

    /// Answers a call that is not (or no longer) in `calls`, and counts it.
    private func finish(_ call: Call, id: UInt64, _ result: Result<[UInt8], KRPCError>, now: UInt64) {
        let failed = self.writeResponse(id: id, result)
        self.record(call, failed: failed, now: now)
    }

    private func record(_ call: Call, failed: Bool, now: UInt64) {
        call.entry.statistics.record(failed: failed, nanoseconds: now &- call.start)
        self.settings.counters?.recordCall(call.entry.key, node: self.settings.node, failed: failed)
    }

    // MARK: Writing

    /// Writes a RESPONSE frame; returns whether it carries an error.
    @discardableResult
    private func writeResponse(id: UInt64, _ result: Result<[UInt8], KRPCError>) -> Bool {
        guard !self.closed else { return true }
        switch result {
        case .success(let bytes):
            let header = FrameHeader.response(id: id)
            // A response header is at most 15 bytes: check the exact size only near the limit.
            let length =
                bytes.count + 32 < self.settings.maximumFrameLength
                ? 0 : ByteBuffer.krpcFrameLength(header: header, payloadLength: bytes.count)
            guard length <= self.settings.maximumFrameLength else {
                let error = KRPCError(
                    code: .frameTooLarge,
                    message: "response frame of \(length) bytes exceeds the maximum \(self.settings.maximumFrameLength)"
                )
                return self.writeResponse(id: id, .failure(error))
            }
            self.out.writeKRPCFrame(header: header, payload: bytes)
            self.frameWritten()
            return false
        case .failure(let error):
            self.out.writeKRPCFrame(
                header: .response(id: id, status: error.code.rawValue, message: error.message),
                payload: EmptyCollection()
            )
            self.frameWritten()
            return true
        }
    }

    private func frameWritten() {
        self.pendingFrames += 1
        if self.pendingFrames >= self.settings.flushEvery {
            self.flush()
        } else if !self.inReadLoop && !self.flushScheduled, let context = self.context {
            // Written outside a read batch (a handler that suspended): flush at the end of this
            // loop tick, together with whatever else completes in it.
            self.flushScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute {
                bound.value.flushScheduled = false
                bound.value.flush()
            }
        }
    }

    private func flush() {
        guard self.pendingFrames > 0, let context = self.context, !self.closed else { return }
        self.pendingFrames = 0
        context.write(Self.wrapOutboundOut(self.out), promise: nil)
        context.flush()
        // Reuses the storage when the socket took it all (NIO dropped its reference).
        self.out.clear()
    }

    // MARK: Connection errors and closing

    private func failConnection(decodingError error: FrameDecodingError) {
        let code: KRPCError.Code
        if case .frameTooLarge = error { code = .frameTooLarge } else { code = .protocolError }
        self.sendGoaway(code: code, message: "\(error)")
    }

    /// Sends GOAWAY with `code` and `message`, then closes the connection.
    private func sendGoaway(code: KRPCError.Code, message: String) {
        guard !self.closed, let context = self.context else { return }
        self.logger.info(
            "closing connection",
            metadata: ["krpc.reason": "\(message)", "krpc.code": "\(code)", "krpc.calls": "\(self.calls.count)"]
        )
        self.out.writeKRPCFrame(
            header: FrameHeader(kind: .goaway, status: code.rawValue, message: message),
            payload: EmptyCollection()
        )
        self.pendingFrames += 1
        self.flush()
        self.closed = true
        context.close(promise: nil)
    }

    private func closeIfIdle() {
        guard self.closeWhenIdle, self.calls.isEmpty, !self.closed else { return }
        if self.draining {
            self.sendGoaway(code: .unavailable, message: "server is shutting down")
        } else {
            self.flush()
            self.closed = true
            self.context?.close(promise: nil)
        }
    }

    // MARK: Timers

    private func armTimer(_ deadline: UInt64) {
        guard deadline < self.timerDeadline, let context = self.context else { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
            bound.value.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = .max
        guard !self.closed else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        while let top = self.deadlines.minimum {
            if let call = self.calls[top.id], call.deadline == top.deadline {
                guard top.deadline <= now else { break }
                _ = self.deadlines.pop()
                self.calls.removeValue(forKey: top.id)
                call.task?.cancel()
                let ms = (call.deadline &- call.start) / 1_000_000
                let error = KRPCError(
                    code: .deadlineExceeded,
                    message: "\(call.entry.key) exceeded its deadline of \(ms) ms on the server"
                )
                self.finish(call, id: top.id, .failure(error), now: now)
            } else {
                _ = self.deadlines.pop()  // stale: that call already ended
            }
        }
        if let top = self.deadlines.minimum {
            self.armTimer(top.deadline)
        }
        self.flush()
        self.closeIfIdle()
    }

    private func scheduleIdleCheck() {
        guard let idle = self.settings.idleTimeout, let context = self.context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let idleNanos = idle.nanoseconds
        let next = max(self.lastActivity &+ idleNanos, NIODeadline.now().uptimeNanoseconds &+ 1_000_000)
        self.idleTimer = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(next)) {
            bound.value.idleCheck()
        }
    }

    private func idleCheck() {
        guard !self.closed, let idle = self.settings.idleTimeout else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        if self.calls.isEmpty, now &- self.lastActivity >= idle.nanoseconds {
            self.logger.debug("closing idle connection", metadata: ["krpc.idle_timeout": "\(idle)"])
            if self.accumulator.bufferedBytes > 0 {
                self.sendGoaway(code: .protocolError, message: "incomplete frame, then nothing for \(idle)")
            } else {
                self.closed = true
                self.context?.close(promise: nil)
            }
            return
        }
        self.scheduleIdleCheck()
    }
}
