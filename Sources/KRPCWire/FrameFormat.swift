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
///   `length - 3 - size(header_len) - header_len`. The smallest well-framed frame has `length` = 4
///   (magic, version, header_len 0: an all-defaults header, i.e. a REQUEST with id 0). Well framed
///   is not valid: a REQUEST with id 0 is a connection error (see "Errors and the connection").
/// - A receiver enforces its maximum frame length (default 4 MiB = 4,194,304, counted like `length`)
///   on the announced `length`, as soon as the 4 bytes arrive, before buffering the frame.
/// - A receiver checks magic and version as soon as those bytes arrive. A wrong magic means the
///   peer does not speak krpc (an HTTP client, say); a right magic with another version means a
///   krpc peer of an unsupported version.
/// - The header is plain protobuf: unknown fields are skipped (groups, wire types 3 and 4, are
///   refused); a field tag is a varint of at most 5 bytes, as protobuf requires (a tag longer than
///   5 bytes is malformed, even when it encodes a small number); field 1 `kind` is an enum
///   (0 REQUEST, 1 RESPONSE, 2 CANCEL, 3 GOAWAY; any other value is malformed: a receiver cannot
///   know whether such a frame may be skipped); strings must be valid UTF-8.
/// - Fields a kind does not use (a `service` on a CANCEL, a `status` on a REQUEST) are ignored.
/// - A REQUEST's `service` and `method` are matched as exact strings.
///
/// ## Header fields per kind
///
/// | kind | request_id | service, method | deadline_ms | status, message | metadata | payload |
/// |---|---|---|---|---|---|---|
/// | REQUEST (0) | ≠ 0, unique among the client's calls in flight | required | remaining ms, 0 = none | – | optional, see "Metadata" | request message |
/// | RESPONSE (1) | the request's | – | – | status 0 = ok, else error code + message | – | response message when ok, else empty |
/// | CANCEL (2) | the request's | – | – | – | – | empty (ignored); the server stops the call, see "Request ids and cancelling" |
/// | GOAWAY (3) | 0 | – | – | why the server closes the connection | – | empty |
///
/// ## Metadata
///
/// A REQUEST may carry key/value metadata (trace context, a tenant, an auth token…) in header field 8,
/// `repeated krpc.MetadataEntry metadata = 8`, where `MetadataEntry` is `{string key = 1; bytes value = 2;}`:
/// one length-delimited field 8 per entry (tag byte `0x42`), in the order the caller added them; a key
/// may repeat. Inside an entry, the key is tag `0x0A` and the value tag `0x12` (each a varint length,
/// then the bytes; protobuf omits an empty value).
/// - Keys are lower-case ASCII, one or more of `a-z 0-9 . _ -` (gRPC's convention; `traceparent`,
///   `tracestate`). A key outside that set is malformed (a connection error).
/// - A value is UTF-8 text, or any bytes when the key ends in `-bin`. (The krpc decoder keeps a value
///   that is not valid UTF-8 as bytes rather than refusing it.)
/// - Limits: at most **64 entries** and **8192 bytes** of keys and values together (the key and value
///   bytes of every entry; tags and lengths not counted). A receiver refuses more with a connection
///   error (GOAWAY 15 protocol error, "request metadata over the limit"); the krpc client refuses to
///   send more (call error 3, nothing sent), so only a foreign peer meets that GOAWAY.
/// - Receivers that predate field 8 skip it, as any unknown field: a request with metadata reaches them
///   as a request without. Other kinds carry no metadata: a sender leaves field 8 out of them, and a
///   receiver does not use it there (the krpc decoder still checks it as above).
/// - What the keys mean is up to the application and its interceptors; krpc's tracing interceptors
///   write and read the keys of the tracer's format (W3C Trace Context: `traceparent`, `tracestate`).
///
/// Status codes (`KRPCError.Code` in the `KRPC` module): 0 ok, 1 cancelled, 2 unknown,
/// 3 invalid request (the payload does not parse, or the handler refused it), 4 deadline
/// exceeded, 5 unknown service, 6 unknown method, 8 overloaded, 13 internal, 14 unavailable,
/// 15 protocol error (bad framing), 16 frame too large. Receivers keep unknown codes as they are.
///
/// ## Request ids and cancelling
///
/// - A client picks the ids. An id must not be in flight already on that connection: a REQUEST
///   whose id names a call the server is still working on is a connection error.
/// - An id may be used again once its RESPONSE arrived. The krpc client never reuses one (it counts
///   up from 1 per connection, 64 bits).
/// - CANCEL ends the call on the server: its handler is stopped and, once the server has read the
///   CANCEL, it writes no RESPONSE for that call. But a RESPONSE the server wrote before it read the
///   CANCEL still arrives after the client sent it. So a client drops a RESPONSE for an id it no
///   longer waits for, and does not reuse the id of a call it cancelled (or gave up on at its own
///   deadline) on that connection: it cannot know whether an answer is still on its way.
/// - A CANCEL for an id that is not in flight (answered already, or never sent) is ignored.
/// - A REQUEST with a `deadline_ms` is answered by the server with status 4 (deadline exceeded)
///   when that time passes first; its handler is stopped.
///
/// ## Errors and the connection
///
/// A **connection error** ends the connection: a server answers with a GOAWAY frame carrying the
/// status (15 protocol error or 16 frame too large) and a message, then closes it; a client just
/// closes it. Every call in flight on it then fails, unanswered. Connection errors:
/// - bytes that are not a frame: wrong magic or version, announced `length` under 4 or over the
///   receiver's maximum, the connection's input ending in the middle of a frame, or (on a server with
///   an idle timeout) an incomplete frame followed by nothing for that long;
/// - a header that does not decode as above (truncated or overlong varint, a known field with
///   another wire type, a group, invalid UTF-8, an unknown `kind`, a metadata key outside its set,
///   metadata over its limits);
/// - a REQUEST with request id 0, or with the id of a call in flight;
/// - a frame of a kind the receiver does not accept: RESPONSE or GOAWAY sent to a server, REQUEST
///   or CANCEL sent to a client.
///
/// A **call error** fails one call with a RESPONSE carrying the status; the connection stays up:
/// - empty or unknown `service` (5), empty or unknown `method` (6), a payload that does not parse as
///   the method's request message (3);
/// - the server is shutting down (14), the connection has its maximum of calls in flight (8), the
///   deadline passed (4), the response would exceed the maximum frame length (16), or the handler
///   failed (its error's code and message).
///
/// A server shutting down answers new requests with status 14 and, once every call in flight is
/// answered, sends GOAWAY with status 14 (unavailable) and closes: after that GOAWAY no call was
/// lost. When its grace period ends first, it closes without GOAWAY, and the calls still in flight
/// are not answered. A client that reads GOAWAY makes no new call on the connection.
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
///
/// The same request with the metadata entry `tenant: "acme"` has 16 more header bytes after
/// `deadline_ms` (length 41, header_len 33):
///
/// ```text
/// 42 0E                                metadata entry, 14 bytes  (field 8, bytes)
///    0A 06 74 65 6E 61 6E 74           key = "tenant"            (field 1, bytes)
///    12 04 61 63 6D 65                 value = "acme"            (field 2, bytes)
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
