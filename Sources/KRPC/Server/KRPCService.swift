/// A service a ``KRPCServer`` serves: a name and a table of methods.
///
/// The per-service protocols (``UserServiceRpcProvider``, ``EchoProvider``, ``HealthProvider``)
/// implement this for you; write it by hand for a new service:
///
/// ```swift
/// struct Greeter: KRPCService {
///     var serviceName: String { "Greeter" }
///     var methods: [KRPCMethod] {
///         [.unary("Hello") { (request: HelloRequest, context) in HelloResponse.with { $0.text = "hi" } }]
///     }
/// }
/// ```
public protocol KRPCService: Sendable {
    /// The name on the wire and in the registry, e.g. `UserServiceRpc`.
    var serviceName: String { get }
    /// The methods, each with a name unique within the service.
    var methods: [KRPCMethod] { get }
}
