import KRPCWire
import Logging
import NIOCore

/// The client end of one TCP connection: writes request frames in batches and hands response
/// frames to its ``ConnectionCore``. Confined to the channel's event loop.
///
/// Requests written from a loop tick (the caller tasks pinned to this loop run as jobs in it) go
/// into one batch buffer, flushed once at the end of the tick or every `flushEvery` frames.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: ConnectionCore
    /// The connection attempt this channel is (see ``ConnectionCore/StateMachine``).
    private let attempt: UInt64
    private let flushEvery: Int
    private let logger: Logger
    private var accumulator: FrameAccumulator
    private var context: ChannelHandlerContext?
    private var out = ByteBuffer()
    private var pendingFrames = 0
    private var flushScheduled = false
    /// The error calls in flight fail with when the channel closes.
    private var closeError: KRPCError?
    private var closed = false

    init(core: ConnectionCore, attempt: UInt64, parser: FrameParser, flushEvery: Int, logger: Logger) {
        self.core = core
        self.attempt = attempt
        self.flushEvery = max(1, flushEvery)
        self.logger = logger
        self.accumulator = FrameAccumulator(parser: parser)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.out = context.channel.allocator.buffer(capacity: 16 * 1024)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Break the handler <-> context cycle, which would keep every closed connection's handler
        // and output buffer alive.
        self.context = nil
        self.out = ByteBuffer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        var error = self.closeError ?? KRPCError(code: .unavailable, message: "connection to \(self.core.address) closed")
        if self.closeError == nil, self.accumulator.bufferedBytes > 0 {
            error.message += " in the middle of a response frame"
        }
        self.core.channelClosed(attempt: self.attempt, error: error)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closed else { return }
        var bytes = Self.unwrapInboundIn(data)
        self.accumulator.append(&bytes)
        while !self.closed {
            let frame: Frame?
            do {
                frame = try self.accumulator.next()
            } catch {
                let code: KRPCError.Code
                if case .frameTooLarge = error { code = .frameTooLarge } else { code = .protocolError }
                self.fail(KRPCError(code: code, message: "bad frame from \(self.core.address): \(error)", cause: error))
                return
            }
            guard let frame else { break }
            switch frame.header.kind {
            case .response:
                self.core.receive(frame)
            case .goaway:
                let code = KRPCError.Code(rawValue: frame.header.status)
                self.closeError = KRPCError(
                    code: code == .ok ? .unavailable : code,
                    message: "\(self.core.address) closed the connection: \(frame.header.message)"
                )
                self.logger.debug("GOAWAY from server", metadata: ["krpc.error": "\(self.closeError!)"])
            case .request, .cancel:
                self.fail(KRPCError(code: .protocolError, message: "\(self.core.address) sent a \(frame.header.kind) frame"))
                return
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(KRPCError(code: .unavailable, message: "connection to \(self.core.address) failed: \(error)", cause: error))
    }

    /// Closes the connection; calls in flight fail with `error`.
    private func fail(_ error: KRPCError) {
        guard !self.closed else { return }
        self.logger.debug("closing connection", metadata: ["krpc.error": "\(error)"])
        if self.closeError == nil { self.closeError = error }
        self.closed = true
        self.context?.close(promise: nil)
    }

    // MARK: Writing

    /// Appends a frame to the batch; flushes every `flushEvery` frames and at the end of the tick.
    func write(header: FrameHeader, payload: [UInt8]) {
        guard !self.closed, let context = self.context else { return }
        self.out.writeKRPCFrame(header: header, payload: payload)
        self.pendingFrames += 1
        if self.pendingFrames >= self.flushEvery {
            self.flushNow()
        } else if !self.flushScheduled {
            self.flushScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute {
                bound.value.flushScheduled = false
                bound.value.flushNow()
            }
        }
    }

    func flushNow() {
        guard self.pendingFrames > 0, let context = self.context, !self.closed else { return }
        self.pendingFrames = 0
        context.write(Self.wrapOutboundOut(self.out), promise: nil)
        context.flush()
        self.out.clear()
    }
}
