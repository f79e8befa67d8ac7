/// The header of a frame: protobuf `krpc.FrameHeader` (see ``FrameFormat``).
///
/// Encoded and decoded by hand (``FrameHeader/encode(into:)``, ``FrameHeader/decode(from:)``),
/// byte-for-byte as SwiftProtobuf would encode ``KRPCFrameHeader``, without its allocations.
public struct FrameHeader: Hashable, Sendable, CustomStringConvertible {
    /// What the frame carries.
    public var kind: FrameKind
    /// Pairs a response (or cancel) with its request; 0 only for GOAWAY.
    public var requestID: UInt64
    /// REQUEST: the service called.
    public var service: String
    /// REQUEST: the method called.
    public var method: String
    /// REQUEST: the caller's remaining deadline in milliseconds; 0 = none.
    public var deadlineMilliseconds: UInt32
    /// RESPONSE, GOAWAY: 0 = ok, else an error code (`KRPCError.Code`).
    public var status: Int32
    /// RESPONSE, GOAWAY: the error message when `status` is not 0.
    public var message: String
    /// REQUEST: the call's metadata (field 8), empty for none.
    public var metadata: KRPCMetadata

    /// Creates a header; every field defaults to its protobuf default.
    public init(
        kind: FrameKind = .request,
        requestID: UInt64 = 0,
        service: String = "",
        method: String = "",
        deadlineMilliseconds: UInt32 = 0,
        status: Int32 = 0,
        message: String = "",
        metadata: KRPCMetadata = KRPCMetadata()
    ) {
        self.kind = kind
        self.requestID = requestID
        self.service = service
        self.method = method
        self.deadlineMilliseconds = deadlineMilliseconds
        self.status = status
        self.message = message
        self.metadata = metadata
    }

    /// A REQUEST header.
    public static func request(
        id: UInt64,
        service: String,
        method: String,
        deadlineMilliseconds: UInt32,
        metadata: KRPCMetadata = KRPCMetadata()
    ) -> Self {
        Self(
            kind: .request, requestID: id, service: service, method: method,
            deadlineMilliseconds: deadlineMilliseconds, metadata: metadata
        )
    }

    /// A RESPONSE header: `status` 0 for success.
    public static func response(id: UInt64, status: Int32 = 0, message: String = "") -> Self {
        Self(kind: .response, requestID: id, status: status, message: message)
    }

    public var description: String {
        switch self.kind {
        case .request:
            "REQUEST #\(self.requestID) \(self.service).\(self.method) deadline \(self.deadlineMilliseconds) ms"
                // Keys only: values may be secrets (tokens), and descriptions end up in logs.
                + (self.metadata.isEmpty ? "" : " metadata [\(self.metadata.map(\.key).joined(separator: ", "))]")
        case .response:
            self.status == 0 ? "RESPONSE #\(self.requestID) ok" : "RESPONSE #\(self.requestID) \(self.status): \"\(self.message)\""
        case .cancel:
            "CANCEL #\(self.requestID)"
        case .goaway:
            "GOAWAY \(self.status): \"\(self.message)\""
        }
    }
}
