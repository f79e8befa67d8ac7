/// How many colours the terminal can show.
public enum ColorDepth: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// No colours (or `NO_COLOR`): attributes only.
    case monochrome = 0
    /// The 8 basic ANSI colours.
    case ansi8 = 8
    /// The xterm 256-colour palette.
    case xterm256 = 256
    /// 24-bit colour.
    case trueColor = 16_777_216

    /// Fewer colours sort first.
    public static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether the environment asks for no colour: `NO_COLOR` set to a non-empty value (no-color.org).
    /// - Parameter environment: The process environment, passed in (`ProcessInfo.processInfo.environment`).
    public static func noColorRequested(environment: [String: String]) -> Bool {
        guard let value = environment["NO_COLOR"] else { return false }
        return !value.isEmpty
    }

    /// The depth to draw with.
    ///
    /// `NO_COLOR` gives ``monochrome``; otherwise `COLORTERM=truecolor` or `24bit` gives ``trueColor`` (when the
    /// terminal has colours at all), else the terminal's colour count (curses `COLORS`) decides: 256 or more
    /// gives ``xterm256``, 8 or more ``ansi8``, fewer ``monochrome``.
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - terminalColors: The number of colours the terminal reports (curses `COLORS`; 0 without colour).
    public static func detect(environment: [String: String], terminalColors: Int) -> ColorDepth {
        if Self.noColorRequested(environment: environment) { return .monochrome }
        guard terminalColors >= 8 else { return .monochrome }
        let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
        if colorTerm == "truecolor" || colorTerm == "24bit" { return .trueColor }
        return terminalColors >= 256 ? .xterm256 : .ansi8
    }
}
