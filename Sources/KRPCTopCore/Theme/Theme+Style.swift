/// A cell style resolved against a theme: colours plus attributes, ready for the terminal layer.
public struct ResolvedStyle: Sendable, Hashable {
    /// Foreground.
    public var foreground: TerminalColor
    /// Background.
    public var background: TerminalColor
    /// Bold.
    public var bold: Bool
    /// Underlined.
    public var underline: Bool
    /// Foreground and background swapped (selection and status bar without colours).
    public var reverse: Bool
    /// Dimmed (secondary text without colours).
    public var dim: Bool

    /// Creates a style.
    public init(foreground: TerminalColor, background: TerminalColor, bold: Bool = false, underline: Bool = false,
                reverse: Bool = false, dim: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.underline = underline
        self.reverse = reverse
        self.dim = dim
    }
}

extension Theme {
    /// How a cell looks with this theme on a terminal of this colour depth.
    ///
    /// Selected cells take the selection colours; where the selection (or status bar) background cannot be
    /// told from the main background at this depth (monochrome, `NO_COLOR`, or both quantise to one colour),
    /// the cell is reversed instead, so selection never depends on colour alone.
    /// - Parameters:
    ///   - key: The cell's ``ThemeKey``.
    ///   - selected: The cell belongs to the selected row (``Cell/isSelected``).
    ///   - depth: The terminal's colour depth (``ColorDepth/detect(environment:terminalColors:)``).
    public func style(for key: ThemeKey, selected: Bool, depth: ColorDepth = .trueColor) -> ResolvedStyle {
        func q(_ slot: Slot) -> TerminalColor { self[slot].quantized(to: depth) }
        let mainBackground = q(.mainBackground)
        let isStatus: Bool
        let foreground: Slot
        switch key {
        case .text, .input: foreground = .mainForeground
        case .dim: foreground = .dimForeground
        case .title: foreground = .titleForeground
        case .tableHeader, .tableHeaderSorted: foreground = .headerForeground
        case .healthy: foreground = .healthyForeground
        case .halfOpen: foreground = .halfOpenForeground
        case .broken, .reason: foreground = .brokenForeground
        case .fault: foreground = .faultForeground
        case .warning: foreground = .warningForeground
        case .ok: foreground = .okForeground
        case .sparkLow: foreground = .sparkLowForeground
        case .sparkMid: foreground = .sparkMidForeground
        case .sparkHigh: foreground = .sparkHighForeground
        case .border: foreground = .borderForeground
        case .key: foreground = .keyForeground
        case .statusBar: foreground = .statusForeground
        case .statusKey: foreground = .statusKeyForeground
        case .statusMessage: foreground = .statusMessageForeground
        case .statusWarning: foreground = .statusWarningForeground
        case .statusError: foreground = .statusErrorForeground
        }
        switch key {
        case .statusBar, .statusKey, .statusMessage, .statusWarning, .statusError: isStatus = true
        default: isStatus = false
        }
        var style = ResolvedStyle(
            foreground: q(foreground), background: isStatus ? q(.statusBackground) : mainBackground)
        switch key {
        case .title, .tableHeader, .broken, .warning, .fault, .key, .statusKey, .statusError, .statusWarning:
            style.bold = true
        case .tableHeaderSorted:
            style.bold = true
            style.underline = true
        default: break
        }
        if depth == .ansi8 && !isStatus && mainBackground == .terminalDefault && style.foreground == .indexed(0) {
            // A dark grey folds into black at 8 colours; on the terminal's own (unknown, often black) background
            // that would vanish. Take the terminal's own colour instead (dimmed below for dim text and lines).
            style.foreground = .terminalDefault
        }
        if (key == .dim || key == .border) && style.foreground == .terminalDefault {
            style.dim = true
        }
        if isStatus && style.background == mainBackground {
            style.reverse = true
        }
        if selected {
            let background = q(.selectedBackground)
            if background == mainBackground {
                style.reverse = true
            } else {
                style.background = background
                style.foreground = q(.selectedForeground)
            }
        }
        if style.foreground == style.background && style.foreground != .terminalDefault {
            // Two colours that fold into one at this depth (light grey on white at 8 colours): text must stay
            // readable, so take black or white, whichever stands out.
            style.foreground = Self.contrasting(style.background, depth: depth)
        }
        return style
    }

    /// Black or white, whichever stands out more against `background`.
    static func contrasting(_ background: TerminalColor, depth: ColorDepth) -> TerminalColor {
        let rgb: (red: UInt8, green: UInt8, blue: UInt8)
        switch background {
        case .terminalDefault: return .terminalDefault
        case .rgb(let r, let g, let b): rgb = (r, g, b)
        case .indexed(let i):
            if depth == .ansi8 { return [0, 1, 4, 5].contains(i) ? .indexed(7) : .indexed(0) }
            rgb = ColorQuantizer.rgb(ofXterm256: i)
        }
        let light = 299 * Int(rgb.red) + 587 * Int(rgb.green) + 114 * Int(rgb.blue) >= 128_000
        switch background {
        case .rgb: return light ? .rgb(red: 0, green: 0, blue: 0) : .rgb(red: 255, green: 255, blue: 255)
        default: return light ? .indexed(16) : .indexed(231)
        }
    }
}
