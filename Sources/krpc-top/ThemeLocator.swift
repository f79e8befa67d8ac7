import Foundation
import KRPCTopCore

/// Finds the `themes/` directory shipped with krpc-top.
///
/// In order: `$KRPC_THEMES_DIR`; walking up from the real path of the executable (so `.build/debug/krpc-top`
/// finds the package's `themes/`), looking at `<dir>/themes` and `<dir>/share/krpc/themes` (an installed
/// layout); finally `./themes`. A directory counts only if it holds at least one `*.theme` file.
enum ThemeLocator {
    static func themesDirectory(environment: [String: String]) -> String? {
        var candidates: [String] = []
        if let dir = environment["KRPC_THEMES_DIR"], !dir.isEmpty { candidates.append(dir) }
        let executable = URL(fileURLWithPath: Self.executablePath()).resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<8 {
            candidates.append(dir.appendingPathComponent("themes").path)
            candidates.append(dir.appendingPathComponent("share/krpc/themes").path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/themes")
        return candidates.first { !ThemeLoader.availableThemes(in: $0).isEmpty }
    }

    /// The names `T` cycles through: the shipped ones, with the built-in `default` and `monochrome` always there,
    /// `default` first.
    static func themeNames(in directory: String?) -> [String] {
        let found = directory.map(ThemeLoader.availableThemes(in:)) ?? []
        var names = ["default"]
        for name in found + ["monochrome"] where !names.contains(name) { names.append(name) }
        return names
    }

    private static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "krpc-top"
    }
}
