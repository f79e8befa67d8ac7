public import NIOCore

/// One decoded frame: its header and its payload (the serialized protobuf message).
public struct Frame: Hashable, Sendable {
    /// The frame header.
    public var header: FrameHeader
    /// The payload bytes; a slice of the received buffer, not a copy.
    public var payload: ByteBuffer

    /// Creates a frame.
    public init(header: FrameHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }
}
