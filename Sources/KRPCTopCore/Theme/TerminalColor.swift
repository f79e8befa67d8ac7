/// A colour as the terminal layer sets it.
public enum TerminalColor: Sendable, Hashable {
    /// The terminal's default (curses colour -1 with `use_default_colors`).
    case terminalDefault
    /// A palette index: 0...7 on 8-colour terminals, 0...255 on 256-colour ones.
    case indexed(Int)
    /// 24-bit colour (true-colour terminals).
    case rgb(red: UInt8, green: UInt8, blue: UInt8)
}

extension ThemeColor {
    /// This colour at a depth: `#rrggbb` is quantised to the nearest xterm-256 entry or to the nearest of
    /// the 8 basic colours; named colours keep their index (bright ones fold onto the basic 8 on 8-colour
    /// terminals); everything is the terminal default in monochrome.
    public func quantized(to depth: ColorDepth) -> TerminalColor {
        switch (self, depth) {
        case (.terminalDefault, _), (_, .monochrome):
            return .terminalDefault
        case (.ansi(let i), .ansi8):
            return .indexed(i % 8)
        case (.ansi(let i), _):
            return .indexed(min(max(i, 0), 15))
        case (.rgb(let r, let g, let b), .trueColor):
            return .rgb(red: r, green: g, blue: b)
        case (.rgb(let r, let g, let b), .xterm256):
            return .indexed(ColorQuantizer.xterm256Index(red: r, green: g, blue: b))
        case (.rgb(let r, let g, let b), .ansi8):
            return .indexed(ColorQuantizer.ansi8Index(red: r, green: g, blue: b))
        }
    }
}
