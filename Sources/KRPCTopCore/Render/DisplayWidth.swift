/// Terminal display widths (the part of `wcwidth` the dashboard needs) and text clean-up.
///
/// Box-drawing, block and geometric glyphs (`─ ▁ █ ● ◐ ✖`) take one cell; East Asian wide and full-width
/// characters and emoji shown as emoji take two; control and format characters never reach the screen.
enum DisplayWidth {
    /// The number of cells a grapheme takes: 0, 1 or 2.
    static func of(_ character: Character) -> Int {
        if let ascii = character.asciiValue { return ascii >= 0x20 && ascii < 0x7F ? 1 : 0 }  // the common case
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation selector
        let props = first.properties
        switch props.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return 0
        case .nonspacingMark, .enclosingMark: return 0
        default: break
        }
        if props.isEmojiPresentation { return 2 }
        return Self.isWide(first.value) ? 2 : 1
    }

    /// The number of cells a string takes.
    static func of(_ text: some StringProtocol) -> Int {
        if Self.isPrintableASCII(text) { return text.utf8.count }  // numbers, addresses, labels: nearly all text
        return text.reduce(0) { $0 + Self.of($1) }
    }

    /// Whether every byte is printable ASCII (one cell each, nothing to sanitize).
    static func isPrintableASCII(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges of Unicode 15 (abridged to whole blocks).
    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F200...0x1F2FF,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Text from outside (addresses, reasons, fault values) made safe for a terminal: tabs and line breaks
    /// become spaces, other control characters `?`, format characters (bidi overrides, zero-width joiners on
    /// their own) are dropped. Escape sequences therefore cannot reach the terminal.
    static func sanitized(_ text: String) -> String {
        if Self.isPrintableASCII(text) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            guard let first = character.unicodeScalars.first else { continue }
            switch first.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                out.append(character == "\t" || character.isNewline ? " " : "?")
            case .format:
                continue
            default:
                out.append(character)
            }
        }
        return out
    }

    /// The longest prefix of `text` that fits in `width` cells.
    static func prefix(_ text: String, width: Int) -> String {
        var out = ""
        var used = 0
        for character in text {
            let w = Self.of(character)
            if used + w > width { break }
            out.append(character)
            used += w
        }
        return out
    }

    /// The longest suffix of `text` that fits in `width` cells.
    static func suffix(_ text: String, width: Int) -> String {
        var out: [Character] = []
        var used = 0
        for character in text.reversed() {
            let w = Self.of(character)
            if used + w > width { break }
            out.append(character)
            used += w
        }
        return String(out.reversed())
    }

    /// `text` cut to at most `width` cells, ending with `ellipsis` when cut.
    static func truncated(_ text: String, to width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        if Self.of(text) <= width { return text }
        return Self.prefix(text, width: width - 1) + String(ellipsis)
    }

    /// An address cut to `width` cells keeping its port, which tells nodes on one host apart:
    /// `very-long-host.example.com:8000` → `very-long-h…:8000`. Falls back to cutting the end.
    static func truncatedAddress(_ address: String, to width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        if Self.of(address) <= width { return address }
        if let colon = address.lastIndex(of: ":") {
            let port = String(address[colon...])
            let hostRoom = width - Self.of(port) - 1
            if hostRoom >= 1 {
                return Self.truncated(String(address[..<colon]), to: hostRoom + 1, ellipsis: ellipsis) + port
            }
        }
        return Self.truncated(address, to: width, ellipsis: ellipsis)
    }
}
