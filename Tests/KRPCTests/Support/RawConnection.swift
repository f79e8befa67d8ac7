import KRPCPolicy
import KRPCWire
import NIOCore
import NIOPosix

/// A plain TCP client that writes arbitrary bytes and reads back frames, for feeding a server
/// bad input. ``read(frames:limit:)`` may be called once.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let inbound: AsyncStream<ByteBuffer>

    private init(channel: any Channel, inbound: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.inbound = inbound
    }

    /// Forwards what arrives into an AsyncStream; finishes it when the connection closes.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation

        init(continuation: AsyncStream<ByteBuffer>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.continuation.yield(Self.unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    static func connect(to address: NodeAddress) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        return RawConnection(channel: channel, inbound: stream)
    }

    /// What came back: the frames, and whether the server closed the connection.
    struct Reply: Sendable {
        var frames: [Frame] = []
        var closed = false
        var error: FrameDecodingError?

        var goaway: FrameHeader? { self.frames.last { $0.header.kind == .goaway }?.header }
    }

    /// Writes `bytes` (one write, one flush).
    func send(_ bytes: ByteBuffer) async throws {
        try await self.channel.writeAndFlush(bytes)
    }

    /// Writes `bytes` one byte per write and flush.
    func sendByteByByte(_ bytes: ByteBuffer) async throws {
        for index in bytes.readerIndex..<bytes.writerIndex {
            try await self.channel.writeAndFlush(bytes.getSlice(at: index, length: 1)!)
        }
    }

    /// Shuts down the write side (the server sees end of input).
    func halfClose() async throws {
        try await self.channel.close(mode: .output)
    }

    func close() async {
        try? await self.channel.close()
    }

    /// Reads until `count` frames arrived or the server closed; times out after `limit`.
    func read(frames count: Int = .max, limit: Duration = Timeouts.generous) async throws -> Reply {
        let inbound = self.inbound
        return try await withTimeout(limit, "reading \(count) frames") {
            var reply = Reply()
            var accumulator = FrameAccumulator()
            var iterator = inbound.makeAsyncIterator()
            while reply.frames.count < count {
                guard var bytes = await iterator.next() else {
                    reply.closed = true
                    break
                }
                accumulator.append(&bytes)
                do {
                    while let frame = try accumulator.next() { reply.frames.append(frame) }
                } catch let error as FrameDecodingError {
                    reply.error = error
                    break
                }
            }
            return reply
        }
    }
}
