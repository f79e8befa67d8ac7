public import SwiftProtobuf
public import SwiftProtobufPluginLibrary

/// protoc-gen-krpc's generator: for each `.proto` with a `service`, a `.krpc.swift` file of
/// service stubs. Messages come from protoc-gen-swift.
public struct KRPCCodeGenerator: CodeGenerator {
    /// Creates the generator.
    public init() {}

    public func generate(
        files: [FileDescriptor],
        parameter: any CodeGeneratorParameter,
        protoCompilerContext: any ProtoCompilerContext,
        generatorOutputs: any GeneratorOutputs
    ) throws {
        let options = try GeneratorOptions(parameter: parameter)
        let mappings = try options.moduleMappings()
        for file in files {
            let generator = FileGenerator(file: file, options: options, mappings: mappings)
            guard let contents = try generator.generate() else { continue }
            try generatorOutputs.add(fileName: generator.outputFilename, contents: contents)
        }
    }

    public var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] {
        [.proto3Optional, .supportsEditions]
    }

    public var supportedEditionRange: ClosedRange<Google_Protobuf_Edition> {
        Google_Protobuf_Edition.proto2...Google_Protobuf_Edition.edition2023
    }

    public var version: String? { KRPCCodeGenerator.versionString }

    public var projectURL: String? { "krpc README.md, \"Your own service\"" }

    /// The generator's version; generated files do not carry it, so a new version does not by
    /// itself change them.
    public static let versionString = "1.0.0 (SwiftProtobuf \(SwiftProtobuf.Version.versionString))"
}
