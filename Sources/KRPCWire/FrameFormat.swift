/// The krpc wire format, version 1: everything a client or server in another language needs.
///
/// ## Connection
///
/// One TCP connection carries many calls at once. The client writes REQUEST (and CANCEL) frames,
/// the server writes RESPONSE (and GOAWAY) frames. Responses come back in any order; the
/// request id pairs them with their requests. Neither side sends anything before the first frame
/// (no handshake), and the connection stays open for any number of calls.
///
/// ## Frame
///
/// All integers are big-endian unless they are protobuf varints.
///
/// ```text
/// offset  size      field
/// 0       4         length        u32 BE: number of bytes after this field (magic .. end of payload)
/// 4       2         magic         0x6B 0x72 ("kr")
/// 6       1         version       0x01
/// 7       1..5      header_len    protobuf varint (unsigned LEB128): size of the header in bytes
/// 7+v     header_len header       protobuf `krpc.FrameHeader` (Protos/krpc.proto), binary encoding
/// ...     rest      payload       the serialized protobuf message (request or response); may be empty
/// ```
///
/// - `length` counts magic, version, header_len, header and payload: the payload size is
///   `length - 3 - size(header_len) - header_len`. The smallest valid frame has `length` = 4
///   (magic, version, header_len 0: an all-defaults header, i.e. a REQUEST with id 0, which is
///   invalid, but well framed).
/// - A receiver enforces its maximum frame length (default 4 MiB = 4,194,304, counted like `length`)
///   on the announced `length`, as soon as the 4 bytes arrive, before buffering the frame.
/// - A receiver checks magic and version as soon as those bytes arrive. A wrong magic means the
///   peer does not speak krpc (an HTTP client, say); a right magic with another version means a
///   krpc peer of an unsupported version.
/// - The header is plain protobuf: unknown fields are skipped (groups, wire types 3 and 4, are
///   refused); a field tag is a varint of at most 5 bytes, as protobuf requires (a tag padded
///   with extra bytes is malformed); field 1 `kind` is an enum (0 REQUEST, 1 RESPONSE, 2 CANCEL,
///   3 GOAWAY); strings must be valid UTF-8.
/// - A REQUEST's `service` and `method` are matched as exact strings.
///
/// ## Header fields per kind
///
/// | kind | request_id | service, method | deadline_ms | status, message | payload |
/// |---|---|---|---|---|---|
/// | REQUEST (0) | ≠ 0, unique among the client's calls in flight | required | remaining ms, 0 = none | – | request message |
/// | RESPONSE (1) | the request's | – | – | status 0 = ok, else error code + message | response message when ok, else empty |
/// | CANCEL (2) | the request's | – | – | – | empty; the server stops the call and does not answer |
/// | GOAWAY (3) | 0 | – | – | why the server closes the connection | empty |
///
/// Status codes (`KRPCError.Code` in the `KRPC` module): 0 ok, 1 cancelled, 2 unknown,
/// 3 invalid request (payload does not parse, bad header), 4 deadline exceeded, 5 unknown
/// service, 6 unknown method, 8 overloaded, 13 internal, 14 unavailable, 15 protocol error
/// (bad framing), 16 frame too large. Receivers keep unknown codes as they are.
///
/// ## Errors and the connection
///
/// A malformed frame (wrong magic or version, announced length under 4 or over the maximum,
/// undecodable header) is a connection error: a server answers with a GOAWAY frame carrying the
/// status (protocol error or frame too large) and a message, then closes the connection; a client
/// just closes it. Every call in flight on that connection then fails. A request that is framed
/// well but names an unknown service or method, or whose payload does not parse, gets a RESPONSE
/// with the matching status; the connection stays up.
///
/// ## Example
///
/// A REQUEST with id 1 for `Echo.Echo`, deadline 5000 ms, payload `0A 02 68 69`
/// (EchoRequest{value: "hi"}):
///
/// ```text
/// 00 00 00 19                          length 25
/// 6B 72 01                             magic "kr", version 1
/// 11                                   header_len 17
/// 10 01                                request_id = 1           (field 2, varint)
/// 1A 04 45 63 68 6F                    service = "Echo"          (field 3, bytes)
/// 22 04 45 63 68 6F                    method = "Echo"           (field 4, bytes)
/// 28 88 27                             deadline_ms = 5000        (field 5, varint)
/// 0A 02 68 69                          payload
/// ```
public enum FrameFormat {
    /// The two magic bytes after the length prefix: `"kr"`.
    public static let magic: (UInt8, UInt8) = (0x6B, 0x72)
    /// The format version this module reads and writes.
    public static let version: UInt8 = 1
    /// Size of the length prefix.
    public static let lengthPrefixSize = 4
    /// Bytes of magic + version.
    public static let preambleSize = 3
    /// The smallest announced length of a well-framed frame (preamble plus a one-byte header length).
    public static let minimumFrameLength = 4
    /// The default maximum announced length: 4 MiB.
    public static let defaultMaximumFrameLength = 4 * 1024 * 1024
}
