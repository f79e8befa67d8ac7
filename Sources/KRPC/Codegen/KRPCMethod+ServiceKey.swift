public import SwiftProtobuf

extension KRPCMethod {
    /// A unary protobuf method named by `key`: what generated service protocols register.
    ///
    /// Behaves as ``unary(_:request:handler:)``.
    public static func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ key: ServiceKey,
        request: Request.Type = Request.self,
        handler: @escaping @Sendable (Request, KRPCServerContext) async throws -> Response
    ) -> KRPCMethod {
        .unary(key.method, request: request, handler: handler)
    }
}
