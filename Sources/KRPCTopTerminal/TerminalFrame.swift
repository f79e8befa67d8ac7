public import KRPCTopCore

/// Theme styles reduced to terminal styles for one theme and one colour depth, computed once per theme change.
///
/// ncurses has no 24-bit colour here (only palette indexes), so a ``ColorDepth/trueColor`` depth is drawn as
/// ``ColorDepth/xterm256``.
public struct TerminalPalette: Sendable {
    /// The depth the styles were quantised to.
    public let depth: ColorDepth
    private let plain: [TerminalStyle]
    private let selected: [TerminalStyle]

    /// Resolves every ``ThemeKey`` of `theme` at `depth`, plain and selected.
    public init(theme: Theme, depth: ColorDepth) {
        let depth = min(depth, .xterm256)
        self.depth = depth
        self.plain = ThemeKey.allCases.map { Self.terminalStyle(theme.style(for: $0, selected: false, depth: depth)) }
        self.selected = ThemeKey.allCases.map { Self.terminalStyle(theme.style(for: $0, selected: true, depth: depth)) }
    }

    /// The terminal style of a cell style.
    public func style(_ key: ThemeKey, selected: Bool) -> TerminalStyle {
        let index = Self.index[key] ?? 0
        return selected ? self.selected[index] : self.plain[index]
    }

    private static let index: [ThemeKey: Int] = Dictionary(
        uniqueKeysWithValues: ThemeKey.allCases.enumerated().map { ($0.element, $0.offset) })

    static func terminalStyle(_ style: ResolvedStyle) -> TerminalStyle {
        TerminalStyle(
            foreground: Self.index(style.foreground),
            background: Self.index(style.background),
            bold: style.bold,
            dim: style.dim,
            underline: style.underline,
            reverse: style.reverse
        )
    }

    static func index(_ color: TerminalColor) -> Int16 {
        switch color {
        case .terminalDefault: return -1
        case .indexed(let i): return Int16(clamping: i)
        case .rgb(let r, let g, let b):
            // Not produced at xterm256 or below; quantise anyway rather than trust that.
            return Int16(ColorQuantizer.xterm256Index(red: r, green: g, blue: b))
        }
    }
}

extension TerminalColorDepth {
    /// The dashboard's ``ColorDepth`` for this terminal (16-colour terminals draw with the basic 8).
    public var colorDepth: ColorDepth {
        switch self {
        case .monochrome: .monochrome
        case .ansi8, .ansi16: .ansi8
        case .xterm256: .xterm256
        }
    }
}

extension ScreenBuffer {
    /// The buffer as rows of runs for ``NCursesScreen/present(_:)``: neighbouring cells of one style merge into
    /// one run, the right halves of wide graphemes are skipped, and blanks that would look like the erased screen
    /// (default background, no reverse or underline) are left out, except short gaps inside a run.
    public func terminalRows(palette: TerminalPalette) -> [[TerminalRun]] {
        // Gaps of up to this many invisible blanks stay inside a run (fewer, longer writes); longer ones split it.
        let maxGap = 4
        var rows: [[TerminalRun]] = []
        rows.reserveCapacity(self.height)
        // Consecutive cells nearly always share a style: look the style up only when the cell's style changes.
        var lastKey = ThemeKey.text
        var lastSelected = false
        var lastStyle = palette.style(.text, selected: false)
        for row in 0..<self.height {
            var runs: [TerminalRun] = []
            var text = ""
            var start = 0
            var style = TerminalStyle.plain
            var gap = 0  // invisible blanks seen since the run's last visible cell
            func flush() {
                if !text.isEmpty { runs.append(TerminalRun(column: start, text: text, style: style)) }
                text = ""
                gap = 0
            }
            let base = row * self.width
            for column in 0..<self.width {
                let cell = self.cells[base + column]
                guard cell.width > 0 else { continue }
                if cell.style != lastKey || cell.isSelected != lastSelected {
                    lastKey = cell.style
                    lastSelected = cell.isSelected
                    lastStyle = palette.style(cell.style, selected: cell.isSelected)
                }
                if cell.character == " " && lastStyle.isInvisibleWhenBlank {
                    if !text.isEmpty { gap += 1 }
                    continue
                }
                if !text.isEmpty && (lastStyle != style || gap > maxGap || (gap > 0 && !style.isInvisibleWhenBlank)) {
                    flush()
                }
                if text.isEmpty {
                    start = column
                    style = lastStyle
                } else if gap > 0 {
                    text.append(String(repeating: " ", count: gap))
                }
                gap = 0
                text.append(cell.character)
            }
            flush()
            rows.append(runs)
        }
        return rows
    }
}

extension TerminalStyle {
    /// A blank in this style looks exactly like an erased cell.
    var isInvisibleWhenBlank: Bool {
        self.background == -1 && !self.reverse && !self.underline
    }
}
