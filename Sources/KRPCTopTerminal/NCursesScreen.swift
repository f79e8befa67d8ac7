@preconcurrency import CNCursesw
import Glibc

/// The only code that touches ncurses: sets the terminal up, presents frames, reads keys, restores it.
///
/// ncurses is not thread-safe: create, use and close an `NCursesScreen` on one thread (it is not
/// `Sendable`). Frames are presented whole; ncurses sends only what changed.
///
/// ```swift
/// let screen = try NCursesScreen()                    // the process's terminal
/// defer { screen.close() }
/// screen.present([[TerminalRun(column: 0, text: "hello")]])
/// while let key = screen.readKey(timeoutMilliseconds: 100) { … }
/// ```
public final class NCursesScreen {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let inputFile: UnsafeMutablePointer<FILE>?
    private let outputFile: UnsafeMutablePointer<FILE>?
    private var pairs: [PairKey: Int16] = [:]
    private var closed = false
    /// The rows last presented and the size they were drawn at: rows that did not change are not drawn again.
    private var presented: (rows: [[TerminalRun]], height: Int, width: Int)?
    /// The colours available (``TerminalColorDepth/monochrome`` when `NO_COLOR` was asked for or none exist).
    public let colorDepth: TerminalColorDepth

    private struct PairKey: Hashable {
        var fg: Int16
        var bg: Int16
    }

    /// Sets up the terminal.
    /// - Parameters:
    ///   - terminalType: the terminfo name; `nil` reads `TERM`.
    ///   - inputFD, outputFD: the terminal's file descriptors (default stdin / stdout). Tests may pass
    ///     `/dev/null`-backed descriptors: ncurses then draws into its in-memory screen only.
    ///   - colors: false to draw without colours (`NO_COLOR`).
    ///   - size: force a size (rows, columns), e.g. for tests without a real terminal.
    /// - Throws: ``TerminalError`` when the terminal type is unknown or unusable (ncurses' `initscr`
    ///   would exit the process instead; `newterm` lets us report it).
    public init(
        terminalType: String? = nil,
        inputFD: Int32 = 0,
        outputFD: Int32 = 1,
        colors: Bool = true,
        size: (rows: Int, columns: Int)? = nil
    ) throws(TerminalError) {
        setlocale(LC_ALL, "")
        let type = terminalType ?? getenv("TERM").flatMap { String(validatingCString: $0) }
        guard let type, !type.isEmpty else {
            throw TerminalError(message: "TERM is not set: cannot draw the dashboard (try TERM=xterm-256color)")
        }
        // Our own FILE* wrappers over dup'ed descriptors, so closing them never closes the caller's fds.
        let inFile = fdopen(dup(inputFD), "r")
        let outFile = fdopen(dup(outputFD), "w")
        guard let inFile, let outFile else {
            throw TerminalError(message: "cannot open the terminal's file descriptors")
        }
        guard let screen = newterm(type, outFile, inFile) else {
            fclose(inFile)
            fclose(outFile)
            throw TerminalError(message: "unknown or unusable terminal type '\(type)'")
        }
        self.screen = screen
        self.inputFile = inFile
        self.outputFile = outFile
        set_term(screen)
        guard let win = cnc_stdscr() else {
            endwin()
            delscreen(screen)
            throw TerminalError(message: "ncurses gave no screen window")
        }
        self.window = win
        if let size { resizeterm(Int32(size.rows), Int32(size.columns)) }
        cbreak()
        noecho()
        nonl()
        keypad(win, true)
        curs_set(0)
        // ESC must not wait a second for a possible escape sequence.
        set_escdelay(25)
        // No peeking at the keyboard during each refresh (a poll() per changed stretch of the screen): the loop reads
        // every key right before drawing, and a frame is small enough to finish.
        typeahead(-1)
        mousemask(cnc_button1_click_mask(), nil)

        if colors && has_colors() {
            start_color()
            use_default_colors()
            let n = cnc_colors()
            self.colorDepth = n >= 256 ? .xterm256 : n >= 16 ? .ansi16 : n >= 8 ? .ansi8 : .monochrome
        } else {
            self.colorDepth = .monochrome
        }
    }

    /// The terminal size now.
    public var size: (rows: Int, columns: Int) {
        (Int(getmaxy(self.window)), Int(getmaxx(self.window)))
    }

    /// Forces a new size (for tests; a real terminal's size comes with `.resize` keys).
    public func resize(rows: Int, columns: Int) {
        resizeterm(Int32(rows), Int32(columns))
        self.presented = nil
    }

    /// Replaces the screen's contents with `rows` (row index → runs) and shows it.
    ///
    /// Only rows that differ from the last frame are drawn again (cleared to the end of the line, then their runs);
    /// after a size change, the whole screen is. Most of a refresh is then untouched rows (the event log, blank
    /// space) that cost nothing.
    public func present(_ rows: [[TerminalRun]]) {
        let (height, width) = self.size
        let previous = self.presented.flatMap { $0.height == height && $0.width == width ? $0.rows : nil }
        if previous == nil { werase(self.window) }
        for y in 0..<min(height, max(rows.count, previous?.count ?? 0)) {
            let runs = y < rows.count ? rows[y] : []
            if let previous {
                let before = y < previous.count ? previous[y] : []
                if before == runs { continue }
                wmove(self.window, Int32(y), 0)
                wclrtoeol(self.window)
            }
            for run in runs where run.column < width {
                let attr = self.attributes(for: run.style)
                wattr_on(self.window, attr, nil)
                // UTF-8 through waddnstr renders like the wide API under a UTF-8 locale; ncurses clips at the edge.
                _ = mvwaddstr(self.window, Int32(y), Int32(run.column), run.text)
                wattr_off(self.window, attr, nil)
            }
        }
        self.presented = (rows, height, width)
        wnoutrefresh(self.window)
        doupdate()
    }

    /// The text now on row `row` (trailing blanks trimmed): what ncurses holds, for tests.
    public func text(row: Int) -> String {
        let width = self.size.columns
        var buffer = [wchar_t](repeating: 0, count: width + 1)
        let n = mvwinnwstr(self.window, Int32(row), 0, &buffer, Int32(width))
        guard n != ERR else { return "" }
        let scalars = buffer.prefix { $0 != 0 }.compactMap { Unicode.Scalar(UInt32(bitPattern: $0)) }
        var s = String(String.UnicodeScalarView(scalars))
        while s.last == " " { s.removeLast() }
        return s
    }

    /// Whether the cell at (row, column) is drawn bold: for tests.
    public func isBold(row: Int, column: Int) -> Bool {
        let ch = mvwinch(self.window, Int32(row), Int32(column))
        return (attr_t(ch) & cnc_A_BOLD()) != 0
    }

    /// Waits up to `timeoutMilliseconds` for a key; `nil` when none came.
    public func readKey(timeoutMilliseconds: Int) -> TerminalKey? {
        wtimeout(self.window, Int32(timeoutMilliseconds))
        var ch: wint_t = 0
        let rc = wget_wch(self.window, &ch)
        if rc == ERR { return nil }
        if rc == KEY_CODE_YES {
            return self.functionKey(Int32(ch))
        }
        switch ch {
        case 27: return .escape
        case 10, 13: return .enter
        case 9: return .tab
        case 127, 8: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return .other(Int32(bitPattern: ch)) }
            return .character(Character(scalar))
        }
    }

    private func functionKey(_ code: Int32) -> TerminalKey {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case cnc_key_resize(): return .resize
        case KEY_MOUSE:
            var event = MEVENT()
            if getmouse(&event) == OK { return .mouseClick(row: Int(event.y), column: Int(event.x)) }
            return .other(code)
        case KEY_F0 + 1...KEY_F0 + 12: return .function(Int(code - KEY_F0))
        default: return .other(code)
        }
    }

    private func attributes(for style: TerminalStyle) -> attr_t {
        var attr: attr_t = cnc_A_NORMAL()
        if style.bold { attr |= cnc_A_BOLD() }
        if style.dim { attr |= cnc_A_DIM() }
        if style.underline { attr |= cnc_A_UNDERLINE() }
        if style.reverse { attr |= cnc_A_REVERSE() }
        if self.colorDepth != .monochrome, style.foreground >= 0 || style.background >= 0 {
            attr |= attr_t(COLOR_PAIR(Int32(self.pair(fg: style.foreground, bg: style.background))))
        }
        return attr
    }

    /// A colour pair for (fg, bg), allocated on first use; pair 0 (the default) when the table is full.
    private func pair(fg: Int16, bg: Int16) -> Int16 {
        let key = PairKey(fg: fg, bg: bg)
        if let p = self.pairs[key] { return p }
        let next = Int16(self.pairs.count + 1)
        guard Int32(next) < cnc_color_pairs() else { return 0 }
        init_pair(next, fg, bg)
        self.pairs[key] = next
        return next
    }

    /// Restores the terminal. Safe to call more than once; also done on deinit.
    public func close() {
        guard !self.closed else { return }
        self.closed = true
        endwin()
        delscreen(self.screen)
        if let f = self.inputFile { fclose(f) }
        if let f = self.outputFile { fclose(f) }
    }

    deinit { self.close() }
}
