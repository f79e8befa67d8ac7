import KRPC
import Tracing

extension ServiceKey {
    /// The span name of a call: `Service/Method`, as gRPC names its spans.
    var spanName: String { "\(self.service)/\(self.method)" }
}

extension Span {
    /// Sets the attributes every krpc span carries (OpenTelemetry's RPC conventions).
    func setRPCAttributes(_ descriptor: ServiceKey) {
        self.updateAttributes { attributes in
            attributes["rpc.system"] = "krpc"
            attributes["rpc.service"] = descriptor.service
            attributes["rpc.method"] = descriptor.method
        }
    }

    /// Records how the call ended and ends the span.
    func end(with result: Result<Void, KRPCError>) {
        switch result {
        case .success:
            self.attributes["rpc.krpc.status_code"] = 0
        case .failure(let error):
            self.attributes["rpc.krpc.status_code"] = Int(error.code.rawValue)
            self.recordError(error)
            self.setStatus(SpanStatus(code: .error, message: error.message))
        }
        self.end()
    }
}
