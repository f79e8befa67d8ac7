import Foundation
import Testing
@testable import KRPCTopCore

@Suite("Themes")
struct ThemeTests {
    /// `<package>/themes`, found from this file's path.
    static let themesDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("themes").path
    }()

    @Test("the four shipped themes are there")
    func shipped() {
        #expect(ThemeLoader.availableThemes(in: Self.themesDirectory)
                == ["default", "high-contrast", "light", "monochrome"])
    }

    @Test("each shipped theme parses without warnings and sets every key",
          arguments: ["default", "light", "high-contrast", "monochrome"])
    func shippedThemeIsClean(name: String) throws {
        let result = try ThemeLoader.load(name, themesDirectory: Self.themesDirectory)
        #expect(result.warnings == [])
        #expect(result.missingKeys == [])
        #expect(result.theme.name == name)
        #expect(Set(result.theme.colors.keys) == Set(Theme.Slot.allCases))
        // Every style resolves, and the selection is visible at every depth.
        for depth in ColorDepth.allCases {
            let plain = result.theme.style(for: .text, selected: false, depth: depth)
            let selected = result.theme.style(for: .text, selected: true, depth: depth)
            #expect(plain != selected, "\(name) at \(depth): selection invisible")
        }
    }

    @Test("default.theme is the built-in default, monochrome.theme the built-in monochrome")
    func builtIns() throws {
        #expect(try ThemeLoader.load("default", themesDirectory: Self.themesDirectory).theme == Theme.default)
        #expect(try ThemeLoader.load("monochrome", themesDirectory: Self.themesDirectory).theme == Theme.monochrome)
        // Without a themes directory, the built-ins still load by name.
        #expect(try ThemeLoader.load("default", themesDirectory: nil).theme == Theme.default)
        #expect(try ThemeLoader.load("monochrome", themesDirectory: nil).theme == Theme.monochrome)
    }

    @Test("a broken theme file: warnings name line and key, good lines still apply, missing keys fall back")
    func brokenFile() {
        let text = """
            # a broken theme
            main_bg = "#101010"
            main_fg = "blurple"
            shiny_fg = "#ffffff"
            this line has no equals sign
            broken_fg = "#ff0000
            theme[healthy_fg]="#00ff00"
            ok_fg = #00ff00 trailing words
            warning_fg = ""
            border_fg = BRIGHT-Black   # names are case-insensitive, '-' or '_'
            main_bg = "#202020"
            title_fg = "#12345"
            """
        let result = ThemeParser.parse(text, name: "broken")
        #expect(result.warnings.map(\.description) == [
            "line 3: main_fg: invalid colour 'blurple' (expected #rrggbb, #rgb, a colour name or default)",
            "line 4: unknown key 'shiny_fg'",
            "line 5: expected key = \"#rrggbb\", found 'this line has no equals sign'",
            "line 6: broken_fg: missing closing quote",
            "line 8: ok_fg: unexpected text after the value: 'trailing words'",
            "line 9: warning_fg: empty value",
            "line 11: main_bg: set again (line 2 is overridden)",
            "line 12: title_fg: invalid colour '#12345' (expected #rrggbb, #rgb, a colour name or default)",
        ])
        #expect(result.warnings.first?.line == 3 && result.warnings.first?.key == "main_fg")
        let theme = result.theme
        #expect(theme[.mainBackground] == .rgb(red: 0x20, green: 0x20, blue: 0x20))
        #expect(theme[.healthyForeground] == .rgb(red: 0, green: 0xff, blue: 0))  // btop syntax
        #expect(theme[.borderForeground] == .ansi(8))
        #expect(theme[.mainForeground] == Theme.default[.mainForeground])  // bad value: default kept
        #expect(theme[.brokenForeground] == Theme.default[.brokenForeground])
        #expect(theme[.okForeground] == Theme.default[.okForeground])
        #expect(result.missingKeys.contains("selected_bg") && !result.missingKeys.contains("main_bg"))
    }

    @Test("a theme that sets only some keys falls back to the default for the rest")
    func partialTheme() {
        let result = ThemeParser.parse("broken_fg = magenta\r\n\r\n", name: "mine")
        #expect(result.warnings.isEmpty)
        #expect(result.theme[.brokenForeground] == .ansi(5))
        #expect(result.theme[.healthyForeground] == Theme.default[.healthyForeground])
        #expect(result.missingKeys.count == Theme.Slot.allCases.count - 1)
    }

    @Test("lookup by path, and a clear error for an unknown name")
    func lookup() throws {
        let path = Self.themesDirectory + "/light.theme"
        #expect(try ThemeLoader.load(path, themesDirectory: nil).theme.name == "light")
        #expect(throws: ThemeLoadError.self) {
            try ThemeLoader.load("solarized", themesDirectory: Self.themesDirectory)
        }
        do {
            _ = try ThemeLoader.load("solarized", themesDirectory: Self.themesDirectory)
        } catch {
            #expect(error.description == "theme 'solarized': no such theme in \(Self.themesDirectory) "
                    + "(available: default, high-contrast, light, monochrome)")
        }
        do {
            _ = try ThemeLoader.load("/nonexistent/x.theme", themesDirectory: nil)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("theme '/nonexistent/x.theme': cannot read /nonexistent/x.theme"))
        }
    }

    @Test("colour values")
    func colors() {
        #expect(ThemeColor(parsing: "#FF8000") == .rgb(red: 255, green: 128, blue: 0))
        #expect(ThemeColor(parsing: "#f80") == .rgb(red: 255, green: 136, blue: 0))
        #expect(ThemeColor(parsing: "Default") == .terminalDefault)
        #expect(ThemeColor(parsing: "none") == .terminalDefault)
        #expect(ThemeColor(parsing: "bright_white") == .ansi(15))
        #expect(ThemeColor(parsing: "grey") == .ansi(8))
        for bad in ["", "#", "#12", "#gggggg", "#1234567", "purple", "ff0000"] {
            #expect(ThemeColor(parsing: bad) == nil, "\(bad)")
        }
        #expect(ThemeColor.rgb(red: 1, green: 0xab, blue: 0xff).description == "#01abff")
        #expect(ThemeColor.ansi(3).description == "yellow")
    }

    @Test("styles: selection and status bar reverse when they have no colour of their own")
    func monochromeStyles() {
        let mono = Theme.monochrome
        let selected = mono.style(for: .broken, selected: true, depth: .trueColor)
        #expect(selected == ResolvedStyle(foreground: .terminalDefault, background: .terminalDefault, bold: true,
                                          reverse: true))
        #expect(mono.style(for: .statusBar, selected: false).reverse)
        #expect(mono.style(for: .dim, selected: false).dim)
        #expect(mono.style(for: .tableHeaderSorted, selected: false).underline)
        // Colours that fold into the background at a low depth fall back to black or white.
        let pale = ThemeParser.parse("main_bg = \"#fafafa\"\nborder_fg = \"#b2b2b2\"", name: "p").theme
        #expect(pale.style(for: .border, selected: false, depth: .ansi8).foreground == .indexed(0))
        #expect(pale.style(for: .border, selected: false, depth: .trueColor).foreground
                == .rgb(red: 0xb2, green: 0xb2, blue: 0xb2))

        let dark = Theme.default
        let row = dark.style(for: .healthy, selected: true, depth: .trueColor)
        #expect(row.background == .rgb(red: 0x30, green: 0x40, blue: 0x5a) && !row.reverse)
        #expect(dark.style(for: .healthy, selected: false, depth: .trueColor).foreground
                == .rgb(red: 0x5f, green: 0xd7, blue: 0x5f))
        #expect(dark.style(for: .healthy, selected: false, depth: .xterm256).foreground == .indexed(77))
        // At 8 colours the dark selection background keeps its hue (blue)...
        #expect(dark.style(for: .text, selected: true, depth: .ansi8).background == .indexed(4))
        // ...while the light one becomes white like the main background: reverse instead.
        let light = ThemeParser.parse("main_bg = \"#fafafa\"\nselected_bg = \"#d0e0f4\"", name: "l").theme
        #expect(light.style(for: .text, selected: true, depth: .ansi8).reverse)
        #expect(!light.style(for: .text, selected: true, depth: .trueColor).reverse)
        // NO_COLOR / monochrome terminal: any theme loses its colours, selection and status bar reverse.
        for theme in [Theme.default, Theme.monochrome] {
            #expect(theme.style(for: .text, selected: true, depth: .monochrome).reverse)
            #expect(theme.style(for: .statusKey, selected: false, depth: .monochrome).reverse)
            #expect(!theme.style(for: .text, selected: false, depth: .monochrome).reverse)
        }
        // Colour depth none: everything default.
        #expect(dark.style(for: .broken, selected: false, depth: .monochrome).foreground == .terminalDefault)
    }
}

@Suite("Shipped themes are readable")
struct ThemeReadabilityTests {
    /// WCAG 2 contrast ratio of two colours.
    static func contrast(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Double {
        func channel(_ v: UInt8) -> Double {
            let c = Double(v) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        func luminance(_ c: (UInt8, UInt8, UInt8)) -> Double {
            0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2)
        }
        let (x, y) = (luminance(a), luminance(b))
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }

    static func rgb(_ c: TerminalColor, defaultBackground: (UInt8, UInt8, UInt8)) -> (UInt8, UInt8, UInt8)? {
        switch c {
        case .rgb(let r, let g, let b): (r, g, b)
        case .terminalDefault: defaultBackground
        case .indexed: nil
        }
    }

    @Test("text of every style stands out from its background (WCAG contrast)",
          arguments: [("default", 3.0), ("light", 3.0), ("high-contrast", 4.5)])
    func contrast(name: String, minimum: Double) throws {
        let theme = try ThemeLoader.load(name, themesDirectory: ThemeTests.themesDirectory).theme
        let darkTerminal: (UInt8, UInt8, UInt8) = (0x1c, 0x1c, 0x1c)  // "default" background of a dark terminal
        for key in ThemeKey.allCases where key != .border {
            for selected in [false, true] {
                let style = theme.style(for: key, selected: selected, depth: .trueColor)
                guard let fg = Self.rgb(style.foreground, defaultBackground: darkTerminal),
                      let bg = Self.rgb(style.background, defaultBackground: darkTerminal)
                else { continue }
                let ratio = Self.contrast(fg, bg)
                #expect(ratio >= minimum, "\(name): \(key)\(selected ? " selected" : ""): contrast \(ratio)")
            }
        }
    }

    @Test("in every theme and colour depth, no rendered text has its own background colour",
          arguments: ["default", "light", "high-contrast", "monochrome"])
    func noInvisibleText(name: String) throws {
        let theme = try ThemeLoader.load(name, themesDirectory: ThemeTests.themesDirectory).theme
        var view = Fixtures.view(width: 80, height: 24)
        view.feed(.key(.down))
        var help = view
        help.feed(.key(.character("?")))
        let buffers = [Renderer.render(view), Renderer.render(help)]
        var invisible: Set<String> = []
        for depth in ColorDepth.allCases {
            for buffer in buffers {
                for cell in buffer.cells where cell.character != " " && cell.width > 0 {
                    let style = theme.style(for: cell.style, selected: cell.isSelected, depth: depth)
                    if style.foreground == style.background && style.foreground != .terminalDefault {
                        invisible.insert("\(depth) \(cell.style)\(cell.isSelected ? " selected" : "")")
                    }
                }
            }
        }
        #expect(invisible == [])
    }
}
