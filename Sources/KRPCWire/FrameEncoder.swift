public import NIOCore

/// A `MessageToByteEncoder` from ``Frame``s to bytes (see ``FrameFormat``).
///
/// The connection handlers write frames straight into their batch buffer with
/// `ByteBuffer.writeKRPCFrame(header:payload:)` instead; this encoder is for pipelines and tests.
public struct FrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = Frame

    /// Creates an encoder.
    public init() {}

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        out.writeKRPCFrame(header: data.header, payload: data.payload)
    }
}

extension ByteBuffer {
    /// Appends one whole frame with `header` and the readable bytes of `payload`.
    /// - Returns: the number of bytes written (length prefix included).
    @discardableResult
    public mutating func writeKRPCFrame(header: FrameHeader, payload: ByteBuffer) -> Int {
        let start = self.writeFramePrefix(header: header, payloadLength: payload.readableBytes)
        self.writeImmutableBuffer(payload)
        return self.writerIndex - start
    }

    /// Appends one whole frame with `header` and `payload` bytes.
    /// - Returns: the number of bytes written (length prefix included).
    @discardableResult
    public mutating func writeKRPCFrame(header: FrameHeader, payload: some Collection<UInt8>) -> Int {
        let start = self.writeFramePrefix(header: header, payloadLength: payload.count)
        self.writeBytes(payload)
        return self.writerIndex - start
    }

    /// Appends one whole frame with `header` and `payload` bytes (the concrete form the connections
    /// use: no generic dispatch across modules on the call path).
    /// - Returns: the number of bytes written (length prefix included).
    @discardableResult
    public mutating func writeKRPCFrame(header: FrameHeader, payload: [UInt8]) -> Int {
        let start = self.writeFramePrefix(header: header, payloadLength: payload.count)
        payload.withUnsafeBytes { _ = self.writeBytes($0) }
        return self.writerIndex - start
    }

    /// The announced length (after the 4-byte prefix) of a frame with `header` and `payloadLength`
    /// payload bytes: compare it with the maximum frame length before sending.
    public static func krpcFrameLength(header: FrameHeader, payloadLength: Int) -> Int {
        let headerSize = header.encodedSize
        return FrameFormat.preambleSize + varintSize(UInt64(headerSize)) + headerSize + payloadLength
    }

    /// Writes length, magic, version, header length and header; returns the frame's start index.
    private mutating func writeFramePrefix(header: FrameHeader, payloadLength: Int) -> Int {
        let headerSize = header.encodedSize
        let length = FrameFormat.preambleSize + varintSize(UInt64(headerSize)) + headerSize + payloadLength
        self.reserveCapacity(minimumWritableBytes: FrameFormat.lengthPrefixSize + length)
        let start = self.writerIndex
        self.writeInteger(UInt32(truncatingIfNeeded: length))
        self.writeInteger(FrameFormat.magic.0)
        self.writeInteger(FrameFormat.magic.1)
        self.writeInteger(FrameFormat.version)
        self.writeVarint(UInt64(headerSize))
        header.encode(into: &self)
        return start
    }
}
