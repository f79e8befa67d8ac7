public import SwiftProtobufPluginLibrary

/// The plugin's options (`--krpc_opt=Key=Value`), named and parsed as protoc-gen-swift's.
public struct GeneratorOptions: Sendable {
    /// Where the output file goes, relative to `--krpc_out`.
    public enum FileNaming: Sendable {
        /// `dir/foo.proto` → `dir/foo.krpc.swift` (the default).
        case fullPath
        /// `dir/foo.proto` → `dir_foo.krpc.swift`.
        case pathToUnderscores
        /// `dir/foo.proto` → `foo.krpc.swift`.
        case dropPath

        init?(flag: String) {
            switch flag.lowercased() {
            case "fullpath", "full_path": self = .fullPath
            case "pathtounderscores", "path_to_underscores": self = .pathToUnderscores
            case "droppath", "drop_path": self = .dropPath
            default: return nil
            }
        }
    }

    /// The access level of everything generated.
    public enum Visibility: String, Sendable {
        case `internal`
        case `public`
        case `package`

        init?(flag: String) {
            self.init(rawValue: flag.lowercased())
        }
    }

    /// `FileNaming`: FullPath (default), PathToUnderscores or DropPath.
    public var fileNaming: FileNaming = .fullPath
    /// `Visibility`: Internal (default), Public or Package.
    public var visibility: Visibility = .internal
    /// `UseAccessLevelOnImports`: `true` writes `public import KRPC` (for modules built with
    /// `InternalImportsByDefault`); `false` (default) writes a plain `import`.
    public var useAccessLevelOnImports = false
    /// `ProtoPathModuleMappings`: protoc-gen-swift's module mappings file; the messages of a mapped
    /// `.proto` are imported from (and qualified with) its module.
    public var moduleMappingsPath: String?
    /// `ExtraModuleImports`: more modules to import, separated by `,` (e.g. where the messages of
    /// the `.proto` itself are, when they are not in the module of the generated stubs).
    public var extraModuleImports: [String] = []
    /// `KRPCModuleName`: the module of the runtime (`KRPC`); empty when the stubs are compiled
    /// into that module itself.
    public var krpcModuleName = "KRPC"

    /// The options with their defaults.
    public init() {}

    /// Parses protoc's parameter string (`Key=Value,Key=Value`).
    public init(parameter: any CodeGeneratorParameter) throws(GenerationError) {
        for pair in parameter.parsedPairs {
            switch pair.key {
            case "FileNaming":
                guard let naming = FileNaming(flag: pair.value) else {
                    throw .invalidParameterValue(name: pair.key, value: pair.value)
                }
                self.fileNaming = naming
            case "Visibility":
                guard let visibility = Visibility(flag: pair.value) else {
                    throw .invalidParameterValue(name: pair.key, value: pair.value)
                }
                self.visibility = visibility
            case "UseAccessLevelOnImports":
                guard let value = Bool(pair.value) else {
                    throw .invalidParameterValue(name: pair.key, value: pair.value)
                }
                self.useAccessLevelOnImports = value
            case "ProtoPathModuleMappings":
                self.moduleMappingsPath = pair.value.isEmpty ? nil : pair.value
            case "ExtraModuleImports":
                let modules = pair.value.split(separator: ",").map(String.init)
                guard modules.allSatisfy({ isValidSwiftIdentifier($0) }) else {
                    throw .invalidParameterValue(name: pair.key, value: pair.value)
                }
                self.extraModuleImports += modules
            case "KRPCModuleName":
                guard pair.value.isEmpty || isValidSwiftIdentifier(pair.value) else {
                    throw .invalidParameterValue(name: pair.key, value: pair.value)
                }
                self.krpcModuleName = pair.value
            default:
                throw .unknownParameter(name: pair.key)
            }
        }
    }

    /// The module mappings, loaded from ``moduleMappingsPath``.
    func moduleMappings() throws(GenerationError) -> ProtoFileToModuleMappings {
        guard let path = self.moduleMappingsPath else { return ProtoFileToModuleMappings() }
        do {
            return try ProtoFileToModuleMappings(path: path)
        } catch {
            throw .moduleMappings(path: path, reason: "\(error)")
        }
    }

    /// `public `, `package ` or nothing, to put before a declaration.
    var accessModifier: String {
        switch self.visibility {
        case .internal: ""
        case .public: "public "
        case .package: "package "
        }
    }

    /// What to write before a module name to import it.
    var importKeyword: String {
        self.useAccessLevelOnImports ? "\(self.accessModifier)import" : "import"
    }
}
