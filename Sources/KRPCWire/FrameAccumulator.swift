public import NIOCore

/// Collects the bytes of successive reads and hands out whole frames.
///
/// The connection handlers use it instead of a ``FrameDecoder`` in the pipeline, so that a frame
/// costs no `NIOAny` box and no pipeline traversal; it keeps bytes only while a frame is
/// incomplete.
///
/// ```swift
/// accumulator.append(&readBuffer)
/// while let frame = try accumulator.next() { handle(frame) }
/// ```
public struct FrameAccumulator: Sendable {
    /// The parser, with the maximum frame length.
    public var parser: FrameParser
    private var buffer: ByteBuffer?

    /// Creates an empty accumulator.
    public init(parser: FrameParser = FrameParser()) {
        self.parser = parser
    }

    /// Bytes held that do not make a whole frame yet.
    public var bufferedBytes: Int { self.buffer?.readableBytes ?? 0 }

    /// Adds the bytes of one read (consumes `bytes`).
    public mutating func append(_ bytes: inout ByteBuffer) {
        if self.buffer == nil {
            self.buffer = bytes
        } else {
            self.buffer!.writeBuffer(&bytes)
        }
        bytes.moveReaderIndex(to: bytes.writerIndex)
    }

    /// The next whole frame, or `nil` when more bytes are needed.
    /// - Throws: ``FrameDecodingError``; the stream is unusable after it.
    public mutating func next() throws(FrameDecodingError) -> Frame? {
        guard var buffer = self.buffer else { return nil }
        self.buffer = nil  // keeps `buffer` uniquely referenced while we read from it
        let frame: Frame?
        do {
            frame = try self.parser.next(from: &buffer)
        } catch {
            self.buffer = buffer
            throw error
        }
        if buffer.readableBytes > 0 {
            if frame == nil, buffer.readerIndex > 0, buffer.readerIndex >= buffer.readableBytes {
                // Waiting for the rest of a frame: drop what was read so the buffer does not grow.
                buffer.discardReadBytes()
            }
            self.buffer = buffer
        }
        return frame
    }

    /// Call at end of stream: throws ``FrameDecodingError/truncatedFrame(received:)`` when bytes
    /// of an incomplete frame are left.
    public mutating func finish() throws(FrameDecodingError) {
        let left = self.bufferedBytes
        self.buffer = nil
        if left > 0 { throw .truncatedFrame(received: left) }
    }
}
