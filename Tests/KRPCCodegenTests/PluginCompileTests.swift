import Foundation
import KRPCTestSupport
import Testing

/// protoc-gen-krpc run by protoc on a `.proto` the test writes, and its output type-checked by
/// `swiftc` against the modules this build produced: no committed output involved.
///
/// The new service's messages come from KRPCWire (`echo.proto`, mapped with
/// `ProtoPathModuleMappings`), so that protoc-gen-swift (not built here) is not needed.
@Suite("protoc-gen-krpc: a new .proto, generated and compiled at test time")
struct PluginCompileTests {
    static let proto = """
        syntax = "proto3";
        package test.shout;
        import "echo.proto";

        // Changes the volume.
        service Shouter {
          // Answers the bytes upper-cased.
          rpc Shout(krpc.echo.EchoRequest) returns (krpc.echo.EchoResponse);
          // Always fails.
          rpc Whisper(krpc.echo.EchoRequest) returns (krpc.echo.EchoResponse);
        }
        """

    /// Implements the service (one method failing with a typed error) and calls it through the client.
    static let implementation = """
        import Foundation
        import KRPC
        import KRPCWire

        struct Shouter: Test_Shout_Shouter.ServiceProtocol {
            func shout(_ request: EchoRequest, context: KRPCServerContext) async throws -> EchoResponse {
                var response = EchoResponse()
                response.value = Data(String(decoding: request.value, as: UTF8.self).uppercased().utf8)
                return response
            }

            func whisper(_ request: EchoRequest, context: KRPCServerContext) async throws -> EchoResponse {
                throw KRPCError(code: .invalidRequest, message: "too quiet")
            }
        }

        func serveAndCall(_ connection: NodeConnection) async throws(KRPCError) -> String {
            _ = KRPCServer(services: [Shouter()])
            let client = Test_Shout_Shouter.Client(connection)
            let keys: [ServiceKey] = Test_Shout_Shouter.Method.descriptors
            precondition(keys.count == 2 && Test_Shout_Shouter.name == "Shouter")
            let reply = try await client.shout(EchoRequest(), options: KRPCCallOptions(deadline: .seconds(1)))
            _ = try await client.whisper(EchoRequest())
            return String(decoding: reply.value, as: UTF8.self)
        }
        """

    /// A work directory with the `.proto`, the module mappings and `impl.swift`.
    struct Workspace {
        let path: String

        init(implementation: String = PluginCompileTests.implementation, proto: String = PluginCompileTests.proto) throws {
            self.path = NSTemporaryDirectory() + "krpc-codegen-compile-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
            try proto.write(toFile: self.path + "/shout.proto", atomically: true, encoding: .utf8)
            try "mapping { module_name: \"KRPCWire\" proto_file_path: \"echo.proto\" }\n"
                .write(toFile: self.path + "/mappings.asciipb", atomically: true, encoding: .utf8)
            try implementation.write(toFile: self.path + "/impl.swift", atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: self.path) }

        /// Runs protoc with protoc-gen-krpc and `options`; returns its exit code and output.
        func generate(options: String) async throws -> (Int32?, String) {
            try await run(
                "protoc",
                [
                    "--plugin=protoc-gen-krpc=\(Binaries.path("protoc-gen-krpc"))",
                    "--krpc_out=\(self.path)",
                    "--krpc_opt=ProtoPathModuleMappings=\(self.path)/mappings.asciipb" + (options.isEmpty ? "" : ",\(options)"),
                    "-I", self.path, "-I", Binaries.packageRoot + "/Sources/KRPCWire/Protos",
                    self.path + "/shout.proto",
                ]
            )
        }

        /// Type-checks the generated stubs with `impl.swift` in Swift 6 mode with the package's upcoming
        /// features, warnings as errors.
        func typecheck() async throws -> (Int32?, String) {
            let products = Binaries.productsDirectory
            var arguments = [
                "-typecheck", "-swift-version", "6", "-warnings-as-errors", "-package-name", "shout",
                "-enable-upcoming-feature", "ExistentialAny",
                "-enable-upcoming-feature", "InternalImportsByDefault",
                "-I", products + "/Modules",
            ]
            for map in Self.moduleMaps(products: products) {
                arguments += ["-Xcc", "-fmodule-map-file=\(map)"]
            }
            arguments += [self.path + "/shout.krpc.swift", self.path + "/impl.swift"]
            return try await run("swiftc", arguments)
        }

        /// The module maps of the C modules the built Swift modules import: the package's dependencies'
        /// (in the build directory and the checkouts) and the package's own.
        static func moduleMaps(products: String) -> [String] {
            let files = FileManager.default
            var maps: [String] = []
            for entry in (try? files.contentsOfDirectory(atPath: products)) ?? [] where entry.hasSuffix(".build") {
                let map = "\(products)/\(entry)/module.modulemap"
                if files.fileExists(atPath: map) { maps.append(map) }
            }
            let checkouts = URL(fileURLWithPath: products).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("checkouts").path
            for package in (try? files.contentsOfDirectory(atPath: checkouts)) ?? [] {
                let sources = "\(checkouts)/\(package)/Sources"
                for target in (try? files.contentsOfDirectory(atPath: sources)) ?? [] {
                    let map = "\(sources)/\(target)/include/module.modulemap"
                    if files.fileExists(atPath: map) { maps.append(map) }
                }
            }
            let own = Binaries.packageRoot + "/Sources"
            for target in (try? files.contentsOfDirectory(atPath: own)) ?? [] {
                let map = "\(own)/\(target)/module.modulemap"
                if files.fileExists(atPath: map) { maps.append(map) }
            }
            return maps.sorted()
        }

        private func run(_ executable: String, _ arguments: [String]) async throws -> (Int32?, String) {
            let process = try ChildProcess(executable, arguments)
            guard try await process.waitForExit(timeout: .seconds(120)) else {
                process.kill()
                throw CompileTestError(message: "\(executable) still running after 120 s")
            }
            return (process.exitCode, process.log())
        }
    }

    struct CompileTestError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }

    @Test(
        "generated stubs compile with an implementation and client calls, warnings as errors",
        arguments: ["Visibility=Public,UseAccessLevelOnImports=true", "Visibility=Internal", "Visibility=Package,UseAccessLevelOnImports=true"]
    )
    func compiles(options: String) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (generated, generateLog) = try await workspace.generate(options: options)
        #expect(generated == 0, "protoc: \(generateLog)")
        let (compiled, compileLog) = try await workspace.typecheck()
        #expect(compiled == 0, "swiftc: \(compileLog)")
    }

    @Test("an implementation that misses a method does not compile (the check above can fail)")
    func missingMethodFails() async throws {
        let workspace = try Workspace(
            implementation: Self.implementation.replacingOccurrences(of: "func whisper(", with: "func murmur(")
        )
        defer { workspace.remove() }
        let (generated, generateLog) = try await workspace.generate(options: "")
        #expect(generated == 0, "protoc: \(generateLog)")
        let (compiled, compileLog) = try await workspace.typecheck()
        #expect(compiled != 0)
        #expect(compileLog.contains("does not conform to protocol 'Test_Shout_Shouter.ServiceProtocol'"), "\(compileLog)")
    }

    @Test("an rpc named like its service compiles (its namespace does not hide the service's)")
    func rpcNamedLikeService() async throws {
        let workspace = try Workspace(
            implementation: "import KRPC\nlet key: ServiceKey = Shouter.Method.Shouter.descriptor\n",
            proto: Self.proto.replacingOccurrences(of: "rpc Whisper(", with: "rpc Shouter(")
                .replacingOccurrences(of: "import \"echo.proto\";", with: "import \"echo.proto\";\noption swift_prefix = \"\";")
        )
        defer { workspace.remove() }
        let (generated, generateLog) = try await workspace.generate(options: "")
        #expect(generated == 0, "protoc: \(generateLog)")
        let (compiled, compileLog) = try await workspace.typecheck()
        #expect(compiled == 0, "swiftc: \(compileLog)")
    }

    @Test("an rpc whose Swift name is a generated member's is refused")
    func reservedNameRefused() async throws {
        let workspace = try Workspace(proto: Self.proto.replacingOccurrences(of: "rpc Whisper(", with: "rpc Methods("))
        defer { workspace.remove() }
        let (generated, log) = try await workspace.generate(options: "")
        #expect(generated != 0)
        #expect(log.contains("Shouter.Methods: its Swift name is taken"), "\(log)")
    }

    @Test("a streaming rpc is refused with a message naming it")
    func streamingRefused() async throws {
        let workspace = try Workspace(
            proto: Self.proto.replacingOccurrences(of: "rpc Whisper(krpc", with: "rpc Whisper(stream krpc")
        )
        defer { workspace.remove() }
        let (generated, log) = try await workspace.generate(options: "")
        #expect(generated != 0)
        #expect(log.contains("Shouter.Whisper streams; krpc methods are unary"), "\(log)")
    }

    @Test("an unknown option is refused")
    func unknownOption() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (generated, log) = try await workspace.generate(options: "Visibilty=Public")
        #expect(generated != 0)
        #expect(log.contains("unknown generator option: Visibilty"), "\(log)")
    }
}
