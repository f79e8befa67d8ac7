import KRPC

/// The example's implementation of `Greeter` (Protos/greeter.proto): conforming to the generated
/// `Greeter.ServiceProtocol` is all it takes to be served.
struct GreeterService: Greeter.ServiceProtocol {
    func sayHello(_ request: HelloRequest, context: KRPCServerContext) async throws -> HelloReply {
        guard !request.name.isEmpty else {
            throw KRPCError(code: .invalidRequest, message: "SayHello needs a name")
        }
        var reply = HelloReply()
        reply.text = "Hello, \(request.name)!"
        return reply
    }
}
