import Testing
@testable import KRPCTopCore

@Suite("Colour depth and NO_COLOR")
struct ColorDepthTests {
    @Test("NO_COLOR (non-empty) means monochrome, whatever the terminal")
    func noColor() {
        #expect(ColorDepth.noColorRequested(environment: ["NO_COLOR": "1"]))
        #expect(!ColorDepth.noColorRequested(environment: ["NO_COLOR": ""]))
        #expect(!ColorDepth.noColorRequested(environment: [:]))
        #expect(ColorDepth.detect(environment: ["NO_COLOR": "yes", "COLORTERM": "truecolor"], terminalColors: 256)
                == .monochrome)
    }

    @Test("detection from COLORTERM and the terminal's colour count")
    func detect() {
        #expect(ColorDepth.detect(environment: ["COLORTERM": "truecolor"], terminalColors: 256) == .trueColor)
        #expect(ColorDepth.detect(environment: ["COLORTERM": "24bit"], terminalColors: 8) == .trueColor)
        #expect(ColorDepth.detect(environment: [:], terminalColors: 256) == .xterm256)
        #expect(ColorDepth.detect(environment: ["NO_COLOR": ""], terminalColors: 16) == .ansi8)
        #expect(ColorDepth.detect(environment: [:], terminalColors: 8) == .ansi8)
        #expect(ColorDepth.detect(environment: ["COLORTERM": "truecolor"], terminalColors: 0) == .monochrome)
        #expect(ColorDepth.detect(environment: [:], terminalColors: 2) == .monochrome)
    }

    @Test("#rrggbb to the xterm-256 palette",
          arguments: [
            ("#000000", 16), ("#ffffff", 231), ("#ff0000", 196), ("#5fafff", 75), ("#808080", 244),
            ("#080808", 232), ("#eeeeee", 255), ("#5fd75f", 77), ("#262626", 235), ("#30405a", 238),
          ])
    func xterm256(hex: String, index: Int) {
        guard case .rgb(let r, let g, let b)? = ThemeColor(parsing: hex) else {
            Issue.record("bad hex \(hex)")
            return
        }
        #expect(ColorQuantizer.xterm256Index(red: r, green: g, blue: b) == index)
        // The palette entry chosen round-trips to itself.
        let back = ColorQuantizer.rgb(ofXterm256: index)
        #expect(ColorQuantizer.xterm256Index(red: back.red, green: back.green, blue: back.blue) == index)
    }

    @Test("#rrggbb to the 8 basic colours",
          arguments: [
            ("#000000", 0), ("#282a36", 0), ("#ff0000", 1), ("#d70000", 1), ("#00ff00", 2), ("#5fd75f", 2),
            ("#ffaf00", 3), ("#ffd75f", 3), ("#af5f00", 3), ("#0000ff", 4), ("#30405a", 4), ("#005fd7", 4),
            ("#d787ff", 5), ("#8700af", 5), ("#00ffff", 6), ("#5fafff", 6), ("#fafafa", 7), ("#c0c0c0", 7),
            ("#d0e0f4", 7), ("#6c6c6c", 0), ("#262626", 0),
          ])
    func ansi8(hex: String, index: Int) {
        guard case .rgb(let r, let g, let b)? = ThemeColor(parsing: hex) else {
            Issue.record("bad hex \(hex)")
            return
        }
        #expect(ColorQuantizer.ansi8Index(red: r, green: g, blue: b) == index)
    }

    @Test("quantising theme colours")
    func quantize() {
        #expect(ThemeColor.ansi(9).quantized(to: .ansi8) == .indexed(1))
        #expect(ThemeColor.ansi(9).quantized(to: .xterm256) == .indexed(9))
        #expect(ThemeColor.ansi(9).quantized(to: .monochrome) == .terminalDefault)
        #expect(ThemeColor.terminalDefault.quantized(to: .trueColor) == .terminalDefault)
        #expect(ThemeColor.rgb(red: 1, green: 2, blue: 3).quantized(to: .trueColor) == .rgb(red: 1, green: 2, blue: 3))
        #expect(ThemeColor.rgb(red: 255, green: 0, blue: 0).quantized(to: .xterm256) == .indexed(196))
        #expect(ThemeColor.rgb(red: 255, green: 0, blue: 0).quantized(to: .ansi8) == .indexed(1))
    }
}
