/// Why the plugin refused to generate; protoc prints the description.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    /// An option the plugin does not know.
    case unknownParameter(name: String)
    /// A known option with a value it cannot take.
    case invalidParameterValue(name: String, value: String)
    /// The `ProtoPathModuleMappings` file could not be read.
    case moduleMappings(path: String, reason: String)
    /// A streaming rpc: krpc calls are unary.
    case streamingMethod(service: String, method: String)
    /// An rpc whose Swift name is taken by a generated member or by another rpc.
    case reservedMethodName(service: String, method: String)

    public var description: String {
        switch self {
        case .unknownParameter(let name):
            "unknown generator option: \(name)"
        case .invalidParameterValue(let name, let value):
            "generator option \(name) cannot be \"\(value)\""
        case .moduleMappings(let path, let reason):
            "cannot read ProtoPathModuleMappings=\(path): \(reason)"
        case .streamingMethod(let service, let method):
            "\(service).\(method) streams; krpc methods are unary"
        case .reservedMethodName(let service, let method):
            "\(service).\(method): its Swift name is taken by a generated member or another rpc"
        }
    }
}
