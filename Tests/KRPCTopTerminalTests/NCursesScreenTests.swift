import Glibc
import KRPCTopTerminal
import Testing

/// Real ncurses, no real terminal: the screen draws to /dev/null and we read ncurses' own screen back.
/// ncurses holds one current screen per process, so these tests run one at a time.
@Suite("NCursesScreen", .serialized)
struct NCursesScreenTests {
    private func withScreen(
        rows: Int = 24,
        columns: Int = 80,
        colors: Bool = true,
        _ body: (NCursesScreen) throws -> Void
    ) throws {
        let devNull = open("/dev/null", O_RDWR)
        try #require(devNull >= 0)
        defer { close(devNull) }
        let screen = try NCursesScreen(
            terminalType: "xterm-256color",
            inputFD: devNull,
            outputFD: devNull,
            colors: colors,
            size: (rows, columns)
        )
        defer { screen.close() }
        try body(screen)
    }

    @Test("draws runs, including wide-character glyphs, and reads them back")
    func drawAndReadBack() throws {
        try self.withScreen { screen in
            #expect(screen.size.rows == 24)
            #expect(screen.size.columns == 80)
            screen.present([
                [TerminalRun(column: 0, text: "krpc-top", style: TerminalStyle(foreground: 2, bold: true))],
                [TerminalRun(column: 2, text: "● HEALTHY"), TerminalRun(column: 14, text: "▁▂▃▄▅▆▇█")],
            ])
            #expect(screen.text(row: 0) == "krpc-top")
            #expect(screen.text(row: 1) == "  ● HEALTHY   ▁▂▃▄▅▆▇█")
            #expect(screen.isBold(row: 0, column: 0))
            #expect(!screen.isBold(row: 1, column: 2))
            #expect(screen.colorDepth == .xterm256)
        }
    }

    @Test("a new frame replaces the old one and text past the edge is clipped")
    func replaceAndClip() throws {
        try self.withScreen(rows: 5, columns: 20) { screen in
            screen.present([[TerminalRun(column: 0, text: "first frame")]])
            screen.present([[], [TerminalRun(column: 15, text: "clipped text")]])
            #expect(screen.text(row: 0) == "")
            #expect(screen.text(row: 1) == String(repeating: " ", count: 15) + "clipp")
        }
    }

    @Test("only rows that changed are drawn again: shortened rows lose their tail, a style change alone counts")
    func rowDiff() throws {
        try self.withScreen(rows: 6, columns: 30) { screen in
            let bold = TerminalStyle(bold: true)
            screen.present([
                [TerminalRun(column: 0, text: "header")],
                [TerminalRun(column: 0, text: "node 8000  HEALTHY  12.5s")],
                [TerminalRun(column: 0, text: "event log line")],
                [TerminalRun(column: 0, text: "plain")],
            ])
            screen.present([
                [TerminalRun(column: 0, text: "header")],
                [TerminalRun(column: 0, text: "node 8000  BROKEN")],
                [TerminalRun(column: 0, text: "event log line")],
                [TerminalRun(column: 0, text: "plain", style: bold)],
            ])
            #expect(screen.text(row: 0) == "header")
            #expect(screen.text(row: 1) == "node 8000  BROKEN")
            #expect(screen.text(row: 2) == "event log line")
            #expect(screen.isBold(row: 3, column: 0))
            // Fewer rows than the frame before: the rows past the end are cleared.
            screen.present([[TerminalRun(column: 0, text: "header")]])
            #expect(screen.text(row: 1) == "")
            #expect(screen.text(row: 2) == "")
            #expect(screen.text(row: 3) == "")
            // A new size redraws everything, unchanged rows included.
            screen.resize(rows: 4, columns: 10)
            screen.present([[TerminalRun(column: 0, text: "header")], [TerminalRun(column: 2, text: "x")]])
            #expect(screen.text(row: 0) == "header")
            #expect(screen.text(row: 1) == "  x")
        }
    }

    @Test("without colours the depth is monochrome")
    func monochrome() throws {
        try self.withScreen(colors: false) { screen in
            #expect(screen.colorDepth == .monochrome)
        }
    }

    @Test("an unknown terminal type is a typed error, not an exit")
    func unknownTerminal() throws {
        let devNull = open("/dev/null", O_RDWR)
        defer { close(devNull) }
        #expect(throws: TerminalError.self) {
            _ = try NCursesScreen(terminalType: "no-such-terminal-xyz", inputFD: devNull, outputFD: devNull)
        }
    }

    @Test("a forced resize is reported as a resize key, then no key pending reads as nil")
    func resizeThenNoKey() throws {
        try self.withScreen { screen in
            _ = screen.readKey(timeoutMilliseconds: 0)  // the resize from setting the initial size
            screen.resize(rows: 12, columns: 40)
            #expect(screen.readKey(timeoutMilliseconds: 0) == .resize)
            #expect(screen.size.rows == 12 && screen.size.columns == 40)
            #expect(screen.readKey(timeoutMilliseconds: 0) == nil)
        }
    }
}
