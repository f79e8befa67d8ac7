/// A colour as a theme file gives it: the terminal's default, one of the 16 named ANSI colours, or `#rrggbb`.
public enum ThemeColor: Sendable, Hashable, CustomStringConvertible {
    /// The terminal's own foreground or background (`default`, `none`).
    case terminalDefault
    /// A named ANSI colour, 0...15 (`black` ... `white`, `bright_black` ... `bright_white`).
    case ansi(Int)
    /// A 24-bit colour.
    case rgb(red: UInt8, green: UInt8, blue: UInt8)

    /// The colour names a theme may use, by ANSI index.
    public static let names = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "bright_black", "bright_red", "bright_green", "bright_yellow", "bright_blue", "bright_magenta",
        "bright_cyan", "bright_white",
    ]

    /// Parses `#rrggbb`, `#rgb`, a name from ``names`` (also `gray`/`grey` for `bright_black`, `-` for `_`,
    /// any case), or `default`/`none`. Returns `nil` otherwise.
    public init?(parsing text: some StringProtocol) {
        let value = String(text).lowercased().replacingDashes()
        if value == "default" || value == "none" {
            self = .terminalDefault
            return
        }
        if value == "gray" || value == "grey" {
            self = .ansi(8)
            return
        }
        if let index = Self.names.firstIndex(of: value) {
            self = .ansi(index)
            return
        }
        guard value.hasPrefix("#") else { return nil }
        let hex = Array(value.dropFirst())
        guard hex.allSatisfy(\.isHexDigit) else { return nil }
        let digits = hex.compactMap(\.hexDigitValue).map(UInt8.init)
        switch digits.count {
        case 6:
            self = .rgb(red: digits[0] << 4 | digits[1], green: digits[2] << 4 | digits[3],
                        blue: digits[4] << 4 | digits[5])
        case 3: self = .rgb(red: digits[0] * 17, green: digits[1] * 17, blue: digits[2] * 17)
        default: return nil
        }
    }

    /// The theme-file spelling: `default`, a name, or `#rrggbb`.
    public var description: String {
        switch self {
        case .terminalDefault: return "default"
        case .ansi(let i): return Self.names.indices.contains(i) ? Self.names[i] : "default"
        case .rgb(let r, let g, let b): return "#" + [r, g, b].map(Self.hex2).joined()
        }
    }

    private static func hex2(_ v: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(v >> 4)], digits[Int(v & 0xF)]])
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(self.map { $0 == "-" ? "_" : $0 })
    }
}
