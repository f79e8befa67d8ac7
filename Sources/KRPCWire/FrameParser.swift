public import NIOCore

/// Cuts frames out of a byte stream: the pure core of ``FrameDecoder`` and ``FrameAccumulator``.
///
/// It checks, in this order and as soon as the bytes are there: the announced length against the
/// minimum and the maximum (before any of the frame is buffered), the magic, the version; then,
/// once the whole frame is in, the header. So the same bytes give the same result however the
/// stream is split.
public struct FrameParser: Sendable, Hashable {
    /// The largest announced length accepted (``FrameFormat/defaultMaximumFrameLength`` by default).
    public var maximumFrameLength: Int

    /// Creates a parser.
    /// - Parameter maximumFrameLength: the largest announced length accepted; values under
    ///   ``FrameFormat/minimumFrameLength`` are raised to it.
    public init(maximumFrameLength: Int = FrameFormat.defaultMaximumFrameLength) {
        self.maximumFrameLength = max(maximumFrameLength, FrameFormat.minimumFrameLength)
    }

    /// Returns the next whole frame at the reader index of `buffer` and consumes its bytes, or
    /// returns `nil` (consuming nothing) when more bytes are needed.
    ///
    /// The returned payload is a slice of `buffer`, not a copy.
    /// - Throws: ``FrameDecodingError`` when the bytes cannot be a frame; the stream is then unusable.
    public func next(from buffer: inout ByteBuffer) throws(FrameDecodingError) -> Frame? {
        let start = buffer.readerIndex
        guard let announced = buffer.getInteger(at: start, as: UInt32.self) else { return nil }
        let length = Int(announced)
        guard length >= FrameFormat.minimumFrameLength else { throw .frameTooShort(length: length) }
        guard length <= self.maximumFrameLength else {
            throw .frameTooLarge(length: length, maximum: self.maximumFrameLength)
        }
        let available = buffer.readableBytes
        if available >= 6 {
            let m0 = buffer.getInteger(at: start + 4, as: UInt8.self) ?? 0
            let m1 = buffer.getInteger(at: start + 5, as: UInt8.self) ?? 0
            guard m0 == FrameFormat.magic.0, m1 == FrameFormat.magic.1 else { throw .badMagic(m0, m1) }
        }
        if available >= 7 {
            let version = buffer.getInteger(at: start + 6, as: UInt8.self) ?? 0
            guard version == FrameFormat.version else { throw .unsupportedVersion(version) }
        }
        guard available >= FrameFormat.lengthPrefixSize + length else { return nil }

        buffer.moveReaderIndex(forwardBy: FrameFormat.lengthPrefixSize + FrameFormat.preambleSize)
        // Cannot fail: `available` covers the whole frame.
        guard var rest = buffer.readSlice(length: length - FrameFormat.preambleSize) else { return nil }
        guard let headerLength = rest.readVarint(maxBytes: 5) else {
            throw .malformedHeader("header length is not a varint of at most 5 bytes")
        }
        guard headerLength <= UInt64(rest.readableBytes) else {
            throw .malformedHeader("header length \(headerLength) runs past the end of the frame")
        }
        guard var headerBytes = rest.readSlice(length: Int(headerLength)) else {
            throw .malformedHeader("header length \(headerLength) runs past the end of the frame")
        }
        let header = try FrameHeader.decode(from: &headerBytes)
        return Frame(header: header, payload: rest)
    }
}
