public import NIOCore

/// A `ByteToMessageDecoder` from bytes to ``Frame``s (see ``FrameFormat``).
///
/// Wrap it in a `ByteToMessageHandler`. The maximum frame length is enforced on the announced
/// length before the frame is buffered; every malformed input throws a ``FrameDecodingError``,
/// and the connection should then be closed. At end of stream, bytes of an incomplete frame throw
/// ``FrameDecodingError/truncatedFrame(received:)``.
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = Frame

    /// The parser, with the maximum frame length.
    public var parser: FrameParser

    /// Creates a decoder.
    /// - Parameter maximumFrameLength: the largest announced length accepted (default 4 MiB).
    public init(maximumFrameLength: Int = FrameFormat.defaultMaximumFrameLength) {
        self.parser = FrameParser(maximumFrameLength: maximumFrameLength)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        if let frame = try self.parser.next(from: &buffer) {
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        }
        let left = buffer.readableBytes
        if left > 0 {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            throw FrameDecodingError.truncatedFrame(received: left)
        }
        return .needMoreData
    }
}
