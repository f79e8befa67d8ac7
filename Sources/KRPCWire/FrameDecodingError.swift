/// Why bytes from a peer are not a well-formed krpc frame (see ``FrameFormat``).
///
/// Every case is a connection error: the connection cannot be resynchronised after it.
public enum FrameDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The announced length is under ``FrameFormat/minimumFrameLength`` (zero-length frame, say).
    case frameTooShort(length: Int)
    /// The announced length is over the receiver's maximum. Detected before buffering the frame.
    case frameTooLarge(length: Int, maximum: Int)
    /// The two bytes after the length prefix are not `"kr"`: the peer does not speak krpc.
    case badMagic(UInt8, UInt8)
    /// A krpc peer of an unsupported format version.
    case unsupportedVersion(UInt8)
    /// The header length or the header itself does not decode.
    case malformedHeader(String)
    /// The connection ended in the middle of a frame.
    case truncatedFrame(received: Int)
    /// A REQUEST's metadata is over ``KRPCMetadata/maximumEntryCount`` entries or
    /// ``KRPCMetadata/maximumEncodedBytes`` bytes.
    case metadataTooLarge(String)

    public var description: String {
        switch self {
        case .frameTooShort(let length):
            "frame length \(length) is under the minimum \(FrameFormat.minimumFrameLength)"
        case .frameTooLarge(let length, let maximum):
            "frame length \(length) exceeds the maximum \(maximum)"
        case .badMagic(let a, let b):
            "bad magic 0x\(Self.hex(a))\(Self.hex(b)) (expected 0x6b72 \"kr\"): not a krpc peer"
        case .unsupportedVersion(let version):
            "unsupported krpc frame version \(version) (this side speaks \(FrameFormat.version))"
        case .malformedHeader(let reason):
            "malformed frame header: \(reason)"
        case .truncatedFrame(let received):
            "connection closed in the middle of a frame (\(received) bytes of it received)"
        case .metadataTooLarge(let reason):
            "request metadata over the limit: \(reason)"
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let s = String(byte, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}
