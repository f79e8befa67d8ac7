import KRPCTopCore
import Testing

@Suite("Themes at 8 colours on the terminal's own background")
struct ThemeEightColorTests {
    @Test("dark greys that fold into black are drawn in the terminal's colour, dimmed for lines and dim text")
    func darkGreysStayVisible() {
        let border = Theme.default.style(for: .border, selected: false, depth: .ansi8)
        #expect(border.foreground == .terminalDefault)
        #expect(border.dim)
        // At 256 colours the grey itself is drawn.
        #expect(Theme.default.style(for: .border, selected: false, depth: .xterm256).foreground != .terminalDefault)
        // A theme with its own background keeps black: it shows against that background.
        let pale = ThemeParser.parse("main_bg = \"#fafafa\"\nborder_fg = \"#585858\"", name: "p").theme
        #expect(pale.style(for: .border, selected: false, depth: .ansi8).foreground == .indexed(0))
    }
}
