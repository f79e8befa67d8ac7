import Testing
@testable import KRPCTopCore

@Suite("Screen buffer and display widths")
struct ScreenBufferTests {
    @Test("display widths: box and block glyphs 1 cell, CJK and emoji 2, controls 0")
    func widths() {
        for c: Character in ["a", "─", "│", "┌", "▁", "█", "●", "◐", "✖", "µ", "…", "é"] {
            #expect(DisplayWidth.of(c) == 1, "\(c)")
        }
        for c: Character in ["节", "한", "Ａ", "😀", "❤️"] {
            #expect(DisplayWidth.of(c) == 2, "\(c)")
        }
        for c: Character in ["\u{1b}", "\u{200b}", "\u{0301}"] {
            #expect(DisplayWidth.of(c) == 0, "\(c.unicodeScalars.first?.value ?? 0)")
        }
        #expect(DisplayWidth.of("e\u{0301}") == 1)
        #expect(DisplayWidth.of("节点:80") == 7)
    }

    @Test("writing is clipped to the grid; wide graphemes never split")
    func clipping() {
        var b = ScreenBuffer(width: 5, height: 2)
        #expect(b.write("hello world", row: 0, column: 0, style: .text) == 5)
        #expect(b.write("ab节点", row: 1, column: 0, style: .dim) == 5)
        #expect(b.lines == ["hello", "ab节 "].map { $0.hasSuffix(" ") ? String($0.dropLast()) : $0 })
        #expect(b[1, 2]?.width == 2 && b[1, 3]?.width == 0 && b[1, 4]?.character == " ")
        // Off-grid writes are ignored.
        b.write("x", row: 5, column: 0, style: .text)
        b.write("x", row: 0, column: -3, style: .text)
        #expect(b.lines[0] == "hello")
        #expect(b[2, 0] == nil && b[0, 5] == nil)
    }

    @Test("overwriting half of a wide grapheme blanks the other half")
    func overwrite() {
        var b = ScreenBuffer(width: 4, height: 1)
        b.write("节点", row: 0, column: 0, style: .text)
        b.write("x", row: 0, column: 1, style: .dim)
        #expect(b.paddedLines == [" x点"])
        b.write("y", row: 0, column: 2, style: .dim)
        #expect(b.paddedLines == [" xy "])
        #expect(b.cells.allSatisfy { $0.width == 1 })
    }

    @Test("sanitising and truncating")
    func text() {
        #expect(DisplayWidth.sanitized("a\tb\nc\u{1b}[0m\u{202e}d") == "a b c?[0md")
        #expect(DisplayWidth.truncated("abcdef", to: 4, ellipsis: "…") == "abc…")
        #expect(DisplayWidth.truncated("abc", to: 3, ellipsis: "…") == "abc")
        #expect(DisplayWidth.truncated("节点一", to: 4, ellipsis: "…") == "节…")
        #expect(DisplayWidth.truncated("abc", to: 0, ellipsis: "…") == "")
        #expect(DisplayWidth.truncatedAddress("long-host-name:8000", to: 12, ellipsis: "…") == "long-h…:8000")
        #expect(DisplayWidth.truncatedAddress("h:12345", to: 4, ellipsis: "…") == "h:1…")
        #expect(DisplayWidth.suffix("abcdef", width: 3) == "def")
    }

    @Test("a degenerate buffer")
    func empty() {
        var b = ScreenBuffer(width: -1, height: 3)
        #expect(b.width == 0 && b.height == 3 && b.lines == ["", "", ""])
        b.write("abc", row: 0, column: 0, style: .text)
        b.fill(row: 1, style: .text)
        #expect(b.cells.isEmpty)
    }
}
