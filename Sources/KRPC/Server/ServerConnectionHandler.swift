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
    /// Counts this server's connection handlers that are still in memory.
    var liveHandlers: LiveObjectCounter
    /// Seeds the generator the error-rate fault draws from; `nil` = a random seed per connection.
    var randomSeed: UInt64? = nil
}

/// Sent down a server connection's pipeline when the server begins its graceful shutdown.
struct ServerDrainEvent: Sendable {}

/// One accepted connection: cuts frames, dispatches requests, writes responses. Confined to the
/// channel's event loop.
///
/// Every decision (which request runs, deadlines, idle close, drain, flush batching, overload,
/// faults) is its ``StateMachine``'s; this handler feeds it events with the loop's time and does
/// what it answers. Each request runs in its own task (`Task.immediate` pinned to this event loop):
/// a handler that does not suspend runs to completion inside `channelRead`, with no thread hop; one
/// that suspends costs no thread. Responses go into one batch buffer. Deadlines and the idle check
/// share one timer per connection (``ConnectionTimer``). A method declared non-suspending
/// (``KRPCMethod/unaryNonSuspending(_:request:handler:)``) is called right here, without a task.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the handler keeps per call.
    struct Call {
        var entry: MethodEntry
        var task: Task<Void, Never>?
    }

    private let settings: ServerConnectionSettings
    private let executor: EventLoopTaskExecutor
    private let eventLoop: any EventLoop
    private var logger: Logger
    private var accumulator: FrameAccumulator
    private var state: StateMachine<Call>
    /// Set between `handlerAdded` and `handlerRemoved` only: the context holds this handler.
    private var context: ChannelHandlerContext?
    private var out: ByteBuffer
    private var timer: Scheduled<Void>?
    private var peer: SocketAddress?
    /// Set once the handler asked the channel to close: nothing is written after that.
    private var closing = false

    init(settings: ServerConnectionSettings, eventLoop: any EventLoop) {
        self.settings = settings
        self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.eventLoop = eventLoop
        self.logger = settings.logger
        self.accumulator = FrameAccumulator(parser: FrameParser(maximumFrameLength: settings.maximumFrameLength))
        self.state = StateMachine(
            settings: .init(
                flushEvery: max(1, settings.flushEvery),
                maximumConcurrentCalls: settings.maximumConcurrentCalls,
                idleTimeoutNanoseconds: settings.idleTimeout?.nanoseconds
            ),
            random: SplitMix64(seed: settings.randomSeed ?? UInt64.random(in: .min ... .max))
        )
        self.out = ByteBuffer()
        settings.liveHandlers.increment()
    }

    deinit {
        self.settings.liveHandlers.decrement()
    }

    private var now: UInt64 { self.eventLoop.now.uptimeNanoseconds }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.out = context.channel.allocator.buffer(capacity: 16 * 1024)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Break the handler <-> context cycle (the context holds the handler, and through it the
        // 16 KB output buffer): without this every accepted connection stays in memory for good.
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
        self.out = ByteBuffer()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.peer = context.remoteAddress
        self.logger[metadataKey: "krpc.peer"] = "\(self.peer.map { "\($0)" } ?? "?")"
        self.logger.debug("connection accepted")
        self.perform(self.state.activated(now: self.now))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closing = true
        do {
            try self.accumulator.finish()
        } catch {
            self.logger.info("connection closed by the client mid-frame", metadata: ["krpc.error": "\(error)"])
        }
        self.timer?.cancel()
        self.timer = nil
        let dropped = self.state.channelInactive()
        let now = self.now
        for (_, entry) in dropped {
            entry.call.task?.cancel()
            self.record(entry, failed: true, now: now)
        }
        if !dropped.isEmpty {
            self.logger.debug("connection closed with calls in flight", metadata: ["krpc.calls": "\(dropped.count)"])
        } else {
            self.logger.debug("connection closed")
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.state.isClosed else { return }
        var bytes = Self.unwrapInboundIn(data)
        self.state.readStarted()
        self.accumulator.append(&bytes)
        while !self.state.isClosed {
            let frame: Frame?
            do {
                frame = try self.accumulator.next()
            } catch {
                let code: KRPCError.Code
                if case .frameTooLarge = error { code = .frameTooLarge } else { code = .protocolError }
                self.perform(self.state.protocolViolation(code, "\(error)"))
                break
            }
            guard let frame else { break }
            self.handle(frame)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.perform(self.state.readComplete(now: self.now))
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
            self.perform(self.state.drainRequested())
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            var partialFrame: String?
            do {
                try self.accumulator.finish()
            } catch {
                partialFrame = "\(error)"
            }
            self.perform(self.state.inputClosed(partialFrame: partialFrame))
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
            switch self.state.cancelReceived(id: header.requestID) {
            case .ended(let entry, let close):
                entry.call.task?.cancel()
                self.record(entry, failed: true, now: self.now)
                self.perform(close)
            case .alreadyEnded:
                break
            }
        case .response, .goaway:
            self.perform(self.state.protocolViolation(.protocolError, "a client must not send \(header.kind) frames"))
        }
    }

    private func handleRequest(_ header: FrameHeader, payload: ByteBuffer) {
        let lookup: Result<Call, LookupFailure>
        var fault: Fault?
        switch self.settings.table.lookup(service: header.service, method: header.method) {
        case .found(let entry):
            lookup = .success(Call(entry: entry, task: nil))
            if !entry.ignoresFaults { fault = self.settings.faultSource?.currentFault() }
        case .unknownService:
            let message =
                header.service.isEmpty ? "request names no service" : "unknown service '\(header.service)'"
            lookup = .failure(LookupFailure(code: .unknownService, message: message))
        case .unknownMethod:
            let message = "\(header.service) has no method '\(header.method)'"
            lookup = .failure(LookupFailure(code: .unknownMethod, message: message))
        }
        let now = self.now
        let id = header.requestID
        let action = self.state.requestReceived(
            id: id,
            deadlineMilliseconds: header.deadlineMilliseconds,
            lookup: lookup,
            fault: fault,
            now: now
        )
        switch action {
        case .start(let entry, let delay, let timer):
            entry.call.entry.statistics.callStarted()
            self.perform(timer)
            self.start(entry, id: id, header: header, payload: payload, delayNanoseconds: delay)
        case .hold(let timer):
            if case .success(let call) = lookup { call.entry.statistics.callStarted() }
            self.perform(timer)
        case .refuse(let entry, let code, let message):
            if let entry {
                entry.call.entry.statistics.callStarted()
                let text = code == .overloaded ? "\(entry.call.entry.key) \(message)" : message
                self.writeResponse(id: id, .failure(KRPCError(code: code, message: text)))
                self.record(entry, failed: true, now: now)
            } else {
                self.writeResponse(id: id, .failure(KRPCError(code: code, message: message)))
            }
        case .close(let close):
            self.perform(close)
        case .ignore:
            break
        }
    }

    private func start(_ entry: StateMachine<Call>.Entry, id: UInt64, header: FrameHeader, payload: ByteBuffer, delayNanoseconds: UInt64) {
        let loop = self.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let serverContext = KRPCServerContext(
            service: header.service,
            method: header.method,
            requestID: id,
            deadline: entry.deadline == 0 ? nil : NIODeadline.uptimeNanoseconds(entry.deadline),
            peer: self.peer,
            metadata: header.metadata,
            logger: self.logger
        )
        let method = entry.call.entry
        if delayNanoseconds == 0, let invokeNow = method.invokeNow {
            // Declared non-suspending: answered here, with no task (interceptors that cannot run
            // without suspending need one: then the method runs in a task below, like any other).
            if let chain = method.interceptors {
                if let interceptors = chain.nonSuspending {
                    self.complete(id: id, chain.runNow(interceptors, payload, serverContext, handler: invokeNow))
                    return
                }
            } else {
                self.complete(id: id, invokeNow(payload, serverContext))
                return
            }
        }
        let invoke = method.invoke
        let interceptors = method.interceptors
        let task = Task.immediate(executorPreference: self.executor) {
            if delayNanoseconds > 0 {
                do {
                    try await Task.sleep(nanoseconds: delayNanoseconds)
                } catch {
                    return  // cancelled: the call already ended (deadline, cancel, close)
                }
            }
            let result: Result<[UInt8], KRPCError>
            if let interceptors {
                result = await interceptors.run(payload, serverContext, handler: invoke)
            } else {
                result = await invoke(payload, serverContext)
            }
            if loop.inEventLoop {
                bound.value.complete(id: id, result)
            } else {
                loop.execute { bound.value.complete(id: id, result) }
            }
        }
        // The task may have completed synchronously (and ended the call) already.
        self.state.updateCall(id: id) { $0.task = task }
    }

    private func complete(id: UInt64, _ result: Result<[UInt8], KRPCError>) {
        let now = self.now
        switch self.state.callFinished(id: id, now: now) {
        case .ended(let entry, let close):
            let failed = self.writeResponse(id: id, result)
            self.record(entry, failed: failed, now: now)
            self.perform(close)
        case .alreadyEnded:
            break  // timed out, cancelled, or the connection closed
        }
    }

    private func record(_ entry: StateMachine<Call>.Entry, failed: Bool, now: UInt64) {
        entry.call.entry.statistics.record(failed: failed, nanoseconds: now &- entry.start)
        self.settings.counters?.recordCall(entry.call.entry.key, node: self.settings.node, failed: failed)
    }

    // MARK: Writing

    /// Writes a RESPONSE frame; returns whether it carries an error.
    @discardableResult
    private func writeResponse(id: UInt64, _ result: Result<[UInt8], KRPCError>) -> Bool {
        guard self.context != nil, !self.closing else { return true }
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
            self.perform(self.state.frameWritten())
            return false
        case .failure(let error):
            self.out.writeKRPCFrame(
                header: .response(id: id, status: error.code.rawValue, message: error.message),
                payload: EmptyCollection()
            )
            self.perform(self.state.frameWritten())
            return true
        }
    }

    private func flush() {
        guard let context = self.context, self.out.readableBytes > 0 else { return }
        context.write(Self.wrapOutboundOut(self.out), promise: nil)
        context.flush()
        // Reuses the storage when the socket took it all (NIO dropped its reference).
        self.out.clear()
    }

    // MARK: Performing actions

    private func perform(_ action: StateMachine<Call>.FlushAction) {
        switch action {
        case .none:
            break
        case .flush:
            self.flush()
        case .scheduleFlush:
            let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
            self.eventLoop.execute {
                let handler = bound.value
                handler.perform(handler.state.scheduledFlushRan())
            }
        }
    }

    private func perform(_ action: StateMachine<Call>.CloseAction) {
        guard let context = self.context else { return }
        switch action {
        case .none:
            return
        case .close:
            self.flush()
        case .goaway(let code, let message):
            self.logger.info(
                "closing connection",
                metadata: ["krpc.reason": "\(LogText.cut(message))", "krpc.code": "\(code)", "krpc.calls": "\(self.state.callCount)"]
            )
            self.out.writeKRPCFrame(
                header: FrameHeader(kind: .goaway, status: code.rawValue, message: message),
                payload: EmptyCollection()
            )
            self.flush()
        }
        self.closing = true
        context.close(promise: nil)
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
        let now = self.now
        let outcome = self.state.timerFired(now: now, partialFrame: self.accumulator.bufferedBytes > 0)
        for expired in outcome.expired {
            let entry = expired.entry
            entry.call.task?.cancel()
            let ms = (entry.deadline &- entry.start) / 1_000_000
            let error = KRPCError(
                code: .deadlineExceeded,
                message: "\(entry.call.entry.key) exceeded its deadline of \(ms) ms on the server"
            )
            let failed = self.writeResponse(id: expired.id, .failure(error))
            self.record(entry, failed: failed, now: now)
        }
        if case .close = outcome.close, let idle = self.settings.idleTimeout {
            self.logger.debug("closing idle connection", metadata: ["krpc.idle_timeout": "\(idle)"])
        }
        self.perform(outcome.timer)
        self.perform(outcome.close)
    }
}
