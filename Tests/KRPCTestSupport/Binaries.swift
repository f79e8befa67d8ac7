import Foundation

/// Paths of the package and of the executables `swift test` has just built.
public enum Binaries {
    /// The package root (the directory holding Package.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/KRPCTestSupport/Binaries.swift
        return url.path
    }()

    /// The build products directory: where the test bundle runs from (`.build/debug` by default).
    public static let productsDirectory: String = {
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Linux the test runner is `.build/debug/krpcPackageTests.xctest` itself.
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("krpc-server").path) {
                return dir.path
            }
            dir.deleteLastPathComponent()
        }
        return packageRoot + "/.build/debug"
    }()

    /// The full path of an executable product, e.g. `krpc-server`.
    public static func path(_ name: String) -> String { self.productsDirectory + "/" + name }
}
