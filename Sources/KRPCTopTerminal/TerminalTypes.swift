/// A style for a run of text on the terminal, with colours already reduced to what the terminal has.
///
/// Colours are terminal palette indexes (`-1` is the terminal's default colour). The wiring layer turns
/// theme colours into indexes (quantising to 256 or 8 colours) for ``NCursesScreen/colorDepth``.
public struct TerminalStyle: Hashable, Sendable {
    public var foreground: Int16
    public var background: Int16
    public var bold: Bool
    public var dim: Bool
    public var underline: Bool
    public var reverse: Bool

    public init(
        foreground: Int16 = -1,
        background: Int16 = -1,
        bold: Bool = false,
        dim: Bool = false,
        underline: Bool = false,
        reverse: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.underline = underline
        self.reverse = reverse
    }

    /// The terminal's default colours, no attributes.
    public static let plain = TerminalStyle()
}

/// A run of text drawn in one style, starting at a column.
public struct TerminalRun: Hashable, Sendable {
    public var column: Int
    public var text: String
    public var style: TerminalStyle

    public init(column: Int, text: String, style: TerminalStyle = .plain) {
        self.column = column
        self.text = text
        self.style = style
    }
}

/// How many colours the terminal can show.
public enum TerminalColorDepth: Int, Sendable, Comparable {
    case monochrome = 0
    case ansi8 = 8
    case ansi16 = 16
    case xterm256 = 256

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A key (or terminal event) read from the keyboard.
public enum TerminalKey: Hashable, Sendable {
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, backspace, escape, tab, backTab, delete
    /// The terminal was resized; ``NCursesScreen/size`` has the new size.
    case resize
    /// A mouse click at (row, column).
    case mouseClick(row: Int, column: Int)
    /// A function key F1…F12.
    case function(Int)
    /// A key code this layer does not name.
    case other(Int32)
}

/// The terminal could not be set up.
public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { self.message }
}
