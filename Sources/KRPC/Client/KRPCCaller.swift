public import KRPCWire
public import NIOCore
public import SwiftProtobuf

/// Anything that can make a krpc call: a ``NodeConnection`` (one node), or a channel over many.
///
/// The typed stubs (``UserServiceClient``, ``EchoClient``, ``HealthClient``) work over any caller.
public protocol KRPCCaller: Sendable {
    /// Calls `service`.`method` with a serialized request and metadata; returns the serialized response.
    ///
    /// - Parameters:
    ///   - payload: the serialized request message.
    ///   - deadline: how long to wait for the response, also sent to the server; `nil` = the
    ///     caller's default.
    ///   - metadata: sent in the request header, through the caller's interceptors.
    /// - Returns: the response payload.
    /// - Throws: ``KRPCError``; never hangs past the deadline. Metadata over the wire's limits
    ///   (``KRPCMetadata/wireViolation()``) fails with ``KRPCError/Code/invalidRequest``, unsent.
    func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration?,
        metadata: KRPCMetadata
    ) async throws(KRPCError) -> ByteBuffer
}

extension KRPCCaller {
    /// Calls `service`.`method` with a serialized request and no metadata; returns the serialized response.
    public func call(service: String, method: String, payload: [UInt8], deadline: Duration?) async throws(KRPCError)
        -> ByteBuffer
    {
        try await self.call(
            service: service, method: method, payload: payload, deadline: deadline, metadata: KRPCMetadata()
        )
    }

    /// Calls `service`.`method` with a protobuf request and decodes the protobuf response.
    ///
    /// - Throws: ``KRPCError``: the server's error as it sent it, a transport error
    ///   (``KRPCError/Code/unavailable``, ``KRPCError/Code/deadlineExceeded``,
    ///   ``KRPCError/Code/cancelled``, ...), or ``KRPCError/Code/internal`` when the response
    ///   does not parse as `Response`.
    @inlinable
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        service: String,
        method: String,
        request: Request,
        responseType: Response.Type = Response.self,
        deadline: Duration? = nil,
        metadata: KRPCMetadata = KRPCMetadata()
    ) async throws(KRPCError) -> Response {
        let bytes: [UInt8]
        do {
            bytes = try request.serializedBytes()
        } catch {
            throw KRPCError(code: .invalidRequest, message: "cannot encode \(Request.protoMessageName)", cause: error)
        }
        let payload = try await self.call(
            service: service, method: method, payload: bytes, deadline: deadline, metadata: metadata
        )
        do {
            return try Response(serializedBytes: payload.readableBytesSpan)
        } catch {
            throw KRPCError(
                code: .internal,
                message: "response of \(service).\(method) does not parse as \(Response.protoMessageName)",
                cause: error
            )
        }
    }
}
