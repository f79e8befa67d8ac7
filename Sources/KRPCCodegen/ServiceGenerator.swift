import SwiftProtobufPluginLibrary

/// Writes the stubs of one `service`: a namespace with the service name and method descriptors, the
/// server protocol (a ``KRPCService`` refinement) and the typed client.
///
/// The shape follows grpc-swift-protobuf's generator: everything hangs off one enum named after the
/// service (with the file's Swift prefix, as protoc-gen-swift names messages).
struct ServiceGenerator {
    /// One rpc, with the names the output uses.
    struct Method {
        /// The rpc's name in the `.proto` and on the wire, e.g. `SayHello`.
        var protoName: String
        /// The Swift function name, e.g. `sayHello` (escaped with backticks when a keyword).
        var functionName: String
        var input: String
        var output: String
        var comments: String
    }

    /// Names the generated members already use: an rpc must not map onto them.
    static let reservedFunctionNames: Set<String> = ["serviceName", "methods", "caller"]

    let service: ServiceDescriptor
    let namespace: String
    let methods: [Method]
    let options: GeneratorOptions

    init(service: ServiceDescriptor, namer: SwiftProtobufNamer, options: GeneratorOptions) throws(GenerationError) {
        self.service = service
        self.options = options
        self.namespace = namer.typePrefix(forFile: service.file) + service.name
        var methods: [Method] = []
        for method in service.methods {
            if method.clientStreaming || method.serverStreaming {
                throw .streamingMethod(service: service.name, method: method.name)
            }
            let name = NamingUtils.toLowerCamelCase(method.name)
            if Self.reservedFunctionNames.contains(name) || methods.contains(where: { $0.functionName == name }) {
                throw .reservedMethodName(service: service.name, method: method.name)
            }
            methods.append(
                Method(
                    protoName: method.name,
                    functionName: Self.escaped(name),
                    input: namer.fullName(message: method.inputType),
                    output: namer.fullName(message: method.outputType),
                    comments: method.protoSourceComments()
                )
            )
        }
        self.methods = methods
    }

    static func escaped(_ identifier: String) -> String {
        let keywords = swiftKeywordsUsedInDeclarations.union(swiftKeywordsUsedInStatements)
            .union(swiftKeywordsUsedInExpressionsAndTypes)
        return keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    func generate(into printer: inout SourcePrinter) {
        self.printNamespace(into: &printer)
        printer.print()
        self.printServerProtocol(into: &printer)
        printer.print()
        self.printClient(into: &printer)
    }

    private var access: String { self.options.accessModifier }

    private func printNamespace(into p: inout SourcePrinter) {
        p.print("// MARK: - \(self.service.fullName)")
        p.print()
        p.printComment(self.service.protoSourceComments())
        p.print("/// Namespace of the `\(self.service.name)` service: its name, method descriptors, server protocol and client.")
        p.block("\(self.access)enum \(self.namespace): Sendable") { p in
            p.print("/// The service name on the wire and in the registry.")
            p.print("\(self.access)static let name = \"\(self.service.name)\"")
            p.print()
            p.print("/// One namespace per rpc: its descriptor and message types.")
            p.block("\(self.access)enum Method: Sendable") { p in
                for method in self.methods {
                    p.print("/// `\(method.protoName)(\(method.input)) returns (\(method.output))`.")
                    p.block("\(self.access)enum \(method.protoName): Sendable") { p in
                        p.print("/// The request message.")
                        p.print("\(self.access)typealias Input = \(method.input)")
                        p.print("/// The response message.")
                        p.print("\(self.access)typealias Output = \(method.output)")
                        p.print("/// `\(self.service.name).\(method.protoName)`.")
                        p.print(
                            "\(self.access)static let descriptor = ServiceKey(service: \"\(self.service.name)\", method: \"\(method.protoName)\")"
                        )
                    }
                    p.print()
                }
                p.print("/// Every method's descriptor, in `.proto` order.")
                let list = self.methods.map { "\($0.protoName).descriptor" }.joined(separator: ", ")
                p.print("\(self.access)static let descriptors: [ServiceKey] = [\(list)]")
            }
        }
    }

    private func printServerProtocol(into p: inout SourcePrinter) {
        p.block("extension \(self.namespace)") { p in
            p.print("/// The server side of `\(self.service.name)`: implement one method per rpc, then pass the value")
            p.print("/// to `KRPCServer(services:)`.")
            p.print("///")
            p.print("/// A `KRPCError` a method throws reaches the caller as it is; any other error reaches it as")
            p.print("/// `KRPCError.Code.internal`.")
            p.block("\(self.access)protocol ServiceProtocol: KRPCService") { p in
                for (index, method) in self.methods.enumerated() {
                    if index > 0 { p.print() }
                    p.printComment(method.comments)
                    p.print("/// Handles `\(self.service.name).\(method.protoName)`.")
                    p.print(
                        "func \(method.functionName)(_ request: \(method.input), context: KRPCServerContext) async throws -> \(method.output)"
                    )
                }
            }
        }
        p.print()
        p.block("extension \(self.namespace).ServiceProtocol") { p in
            p.print("/// `\(self.service.name)`.")
            p.print("\(self.access)var serviceName: String { \(self.namespace).name }")
            p.print()
            p.print("/// One `KRPCMethod` per rpc, each calling the method of the same name.")
            p.block("\(self.access)var methods: [KRPCMethod]") { p in
                p.print("[")
                for method in self.methods {
                    p.print(
                        "    .unary(\(self.namespace).Method.\(method.protoName).descriptor) { (request: \(method.input), context) in"
                    )
                    p.print("        try await self.\(method.functionName)(request, context: context)")
                    p.print("    },")
                }
                p.print("]")
            }
        }
    }

    private func printClient(into p: inout SourcePrinter) {
        let inlinable = self.options.visibility == .public ? "@inlinable\n" : ""
        p.block("extension \(self.namespace)") { p in
            p.print("/// Typed client of `\(self.service.name)` over any `KRPCCaller`: a `KRPCChannel` (every node of the")
            p.print("/// service) or a `NodeConnection` (one node).")
            p.block("\(self.access)struct Client<Caller: KRPCCaller>: Sendable") { p in
                p.print("/// Where calls go.")
                p.print("\(self.access)let caller: Caller")
                p.print()
                p.print("/// Creates a client over `caller`.")
                p.print("\(inlinable)\(self.access)init(_ caller: Caller) {")
                p.print("    self.caller = caller")
                p.print("}")
                for method in self.methods {
                    p.print()
                    p.printComment(method.comments)
                    p.print("/// Calls `\(self.service.name).\(method.protoName)`.")
                    p.print("/// - Parameter options: the deadline (`nil`: the caller's default) and the metadata sent with the call.")
                    p.print("/// - Throws: `KRPCError`: what the server threw, or why the call did not reach it.")
                    p.print(
                        "\(inlinable)\(self.access)func \(method.functionName)(_ request: \(method.input), options: KRPCCallOptions = .defaults) async throws(KRPCError) -> \(method.output) {"
                    )
                    p.print("    try await self.caller.call(")
                    p.print("        \(self.namespace).Method.\(method.protoName).descriptor,")
                    p.print("        request: request,")
                    p.print("        responseType: \(method.output).self,")
                    p.print("        options: options")
                    p.print("    )")
                    p.print("}")
                }
            }
        }
    }
}
