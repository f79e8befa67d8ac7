/// A problem found in a theme file. Never fatal: the line is skipped and the default colour stays.
public struct ThemeWarning: Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The key concerned, when the line has one.
    public var key: String?
    /// What is wrong.
    public var message: String

    /// Creates a warning.
    public init(line: Int, key: String?, message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    /// `line 7: main_bg: invalid colour 'blurple' (…)`.
    public var description: String {
        if let key { return "line \(self.line): \(key): \(self.message)" }
        return "line \(self.line): \(self.message)"
    }
}

/// What ``ThemeParser/parse(_:name:base:)`` found.
public struct ThemeParseResult: Sendable, Hashable {
    /// The theme: the file's colours over the base theme's.
    public var theme: Theme
    /// Lines that were skipped, and why.
    public var warnings: [ThemeWarning]
    /// Schema keys the file does not set (they keep the base theme's colour). Not a warning: a theme may set
    /// only what it changes.
    public var missingKeys: [String]
}

/// Reads btop-style theme files.
///
/// One setting per line: `key = "#rrggbb"`, `key = #rrggbb`, `key = red` or btop's `theme[key]="#rrggbb"`.
/// Values are `#rrggbb`, `#rgb`, a colour name (``ThemeColor/names``) or `default`. `#` starts a comment at
/// the start of a line or after the value. Keys are ``Theme/Slot`` raw values (`main_bg`, `broken_fg`, …).
/// Unknown keys and bad values are warnings naming the line and key; missing keys fall back to the base.
public enum ThemeParser {
    /// Parses a theme file's text.
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - name: The theme's name.
    ///   - base: Where missing keys come from (the built-in default).
    public static func parse(_ text: String, name: String, base: Theme = .default) -> ThemeParseResult {
        var colors = base.colors
        var warnings: [ThemeWarning] = []
        var seen: [Theme.Slot: Int] = [:]
        var lineNumber = 0
        // `\r\n` is one Character, and a newline: splitting on `isNewline` handles both line ends.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                warnings.append(ThemeWarning(line: lineNumber, key: nil,
                                             message: "expected key = \"#rrggbb\", found '\(Self.clip(line))'"))
                continue
            }
            var key = String(line[..<equals]).trimmingSpaces()
            if key.hasPrefix("theme[") && key.hasSuffix("]") {
                key = String(key.dropFirst("theme[".count).dropLast())
            }
            let valuePart = line[line.index(after: equals)...]
            let value: String
            switch Self.value(of: valuePart) {
            case .success(let v): value = v
            case .failure(let problem):
                warnings.append(ThemeWarning(line: lineNumber, key: key, message: problem.message))
                continue
            }
            guard let slot = Theme.Slot(rawValue: key) else {
                warnings.append(ThemeWarning(line: lineNumber, key: nil, message: "unknown key '\(Self.clip(key))'"))
                continue
            }
            guard let color = ThemeColor(parsing: value) else {
                warnings.append(ThemeWarning(
                    line: lineNumber, key: key,
                    message: "invalid colour '\(Self.clip(value))' (expected #rrggbb, #rgb, a colour name or default)"))
                continue
            }
            if let previous = seen[slot] {
                warnings.append(ThemeWarning(line: lineNumber, key: key,
                                             message: "set again (line \(previous) is overridden)"))
            }
            seen[slot] = lineNumber
            colors[slot] = color
        }
        let missing = Theme.Slot.allCases.filter { seen[$0] == nil }.map(\.rawValue)
        return ThemeParseResult(theme: Theme(name: name, colors: colors), warnings: warnings, missingKeys: missing)
    }

    private struct Problem: Error {
        var message: String
    }

    /// The value after `=`: a quoted string or a bare word, then nothing but an optional `# comment`.
    private static func value(of text: Substring) -> Result<String, Problem> {
        let rest = text.drop { $0 == " " || $0 == "\t" }
        let value: Substring
        let after: Substring
        if rest.first == "\"" {
            let body = rest.dropFirst()
            guard let close = body.firstIndex(of: "\"") else {
                return .failure(Problem(message: "missing closing quote"))
            }
            value = body[..<close]
            after = body[body.index(after: close)...]
        } else {
            let end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
            value = rest[..<end]
            after = rest[end...]
        }
        let trailing = after.drop { $0 == " " || $0 == "\t" }
        guard trailing.isEmpty || trailing.hasPrefix("#") else {
            return .failure(Problem(message: "unexpected text after the value: '\(Self.clip(trailing))'"))
        }
        guard !value.isEmpty else { return .failure(Problem(message: "empty value")) }
        return .success(String(value))
    }

    /// Bad input is quoted in warnings, but never at length and never with control characters.
    private static func clip(_ text: some StringProtocol) -> String {
        DisplayWidth.truncated(DisplayWidth.sanitized(String(text)), to: 40, ellipsis: "…")
    }
}
