public import SwiftProtobuf

extension KRPCCaller {
    /// Calls the method `key` names with a protobuf request and decodes the protobuf
    /// response: what generated clients call.
    ///
    /// - Throws: ``KRPCError``, as ``call(service:method:request:responseType:deadline:metadata:)``.
    @inlinable
    public func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ key: ServiceKey,
        request: Request,
        responseType: Response.Type = Response.self,
        options: KRPCCallOptions
    ) async throws(KRPCError) -> Response {
        try await self.call(
            service: key.service,
            method: key.method,
            request: request,
            responseType: responseType,
            deadline: options.deadline,
            metadata: options.metadata
        )
    }
}
