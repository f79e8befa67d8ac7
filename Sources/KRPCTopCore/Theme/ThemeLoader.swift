#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A theme could not be loaded.
public struct ThemeLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name or path asked for.
    public var requested: String
    /// What went wrong.
    public var message: String

    /// `theme 'solarized': no such theme in /opt/krpc/themes (available: default, light)`.
    public var description: String { "theme '\(self.requested)': \(self.message)" }
}

/// Finds and reads theme files (`--theme NAME|PATH`). The themes directory is a parameter: the executable
/// decides where it is.
public enum ThemeLoader {
    /// The names of the `*.theme` files in a directory, sorted; empty when the directory cannot be read.
    public static func availableThemes(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".theme") }.map { String($0.dropLast(".theme".count)) }.sorted()
    }

    /// Loads a theme by name or path.
    ///
    /// A value containing `/` or ending in `.theme` is a path. Otherwise it is a name, looked up as
    /// `<themesDirectory>/<name>.theme`; the names `default` and `monochrome` fall back to the built-in themes
    /// when no such file exists.
    /// - Parameters:
    ///   - nameOrPath: `light`, `./my.theme`, `/etc/krpc/dark.theme`.
    ///   - themesDirectory: Where named themes live; `nil` for built-in themes only.
    /// - Returns: The theme, with warnings for any line that was skipped.
    /// - Throws: ``ThemeLoadError`` when there is no such theme or the file cannot be read as UTF-8.
    public static func load(_ nameOrPath: String, themesDirectory: String?) throws(ThemeLoadError) -> ThemeParseResult {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme")
        let path: String
        if isPath {
            path = nameOrPath
        } else {
            guard !nameOrPath.isEmpty else { throw ThemeLoadError(requested: nameOrPath, message: "empty theme name") }
            let candidate = themesDirectory.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + nameOrPath + ".theme" }
            if let candidate, FileManager.default.fileExists(atPath: candidate) {
                path = candidate
            } else if nameOrPath == Theme.default.name {
                return ThemeParseResult(theme: .default, warnings: [], missingKeys: [])
            } else if nameOrPath == Theme.monochrome.name {
                return ThemeParseResult(theme: .monochrome, warnings: [], missingKeys: [])
            } else {
                let available = themesDirectory.map(Self.availableThemes(in:)) ?? []
                let list = Set(available + ["default", "monochrome"]).sorted().joined(separator: ", ")
                let place = themesDirectory.map { " in \($0)" } ?? ""
                throw ThemeLoadError(requested: nameOrPath, message: "no such theme\(place) (available: \(list))")
            }
        }
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ThemeLoadError(requested: nameOrPath, message: "\(path) is not UTF-8 text")
            }
            text = decoded
        } catch let error as ThemeLoadError {
            throw error
        } catch {
            throw ThemeLoadError(requested: nameOrPath, message: "cannot read \(path): \(error)")
        }
        let name = String((path.split(separator: "/").last ?? Substring(path)).dropLastSuffix(".theme"))
        return ThemeParser.parse(text, name: name)
    }
}

extension Substring {
    fileprivate func dropLastSuffix(_ suffix: String) -> Substring {
        self.hasSuffix(suffix) ? self.dropLast(suffix.count) : self
    }
}
