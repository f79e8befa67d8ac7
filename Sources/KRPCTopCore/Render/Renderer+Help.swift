extension Renderer {
    /// The help overlay: a box listing every binding of the key map (keys, then what they do), centred above
    /// the status bar. Cut to the screen when it does not fit; without a border when the screen is tiny.
    static func drawHelp(_ keyMap: KeyMap, above limitRow: Int, glyphs: Glyphs, into buffer: inout ScreenBuffer) {
        let entries = keyMap.bindings.map { ($0.label(ascii: glyphs.ascii), $0.help) }
        let labelWidth = entries.reduce(0) { max($0, DisplayWidth.of($1.0)) }
        let helpWidth = entries.reduce(0) { max($0, DisplayWidth.of($1.1)) }
        let innerWidth = labelWidth + 2 + helpWidth
        let height = min(limitRow, buffer.height)
        guard height > 0 else { return }
        let bordered = buffer.width >= 12 && height >= 5
        let boxWidth = min(buffer.width, innerWidth + (bordered ? 4 : 0))
        let boxHeight = min(height, entries.count + (bordered ? 2 : 0))
        let left = (buffer.width - boxWidth) / 2
        let top = (height - boxHeight) / 2
        for row in top..<(top + boxHeight) {
            buffer.fill(row: row, from: left, to: left + boxWidth, style: .text)
        }
        var firstLine = top
        var textLeft = left
        var textRight = left + boxWidth
        if bordered {
            let right = left + boxWidth - 1
            let bottom = top + boxHeight - 1
            let h = String(glyphs.horizontal)
            buffer.write(String(glyphs.topLeft) + String(repeating: h, count: boxWidth - 2) + String(glyphs.topRight),
                         row: top, column: left, style: .border)
            buffer.write(String(glyphs.bottomLeft) + String(repeating: h, count: boxWidth - 2)
                         + String(glyphs.bottomRight), row: bottom, column: left, style: .border)
            for row in (top + 1)..<bottom {
                buffer.write(String(glyphs.vertical), row: row, column: left, style: .border)
                buffer.write(String(glyphs.vertical), row: row, column: right, style: .border)
            }
            Self.drawSpans([(" keys ", .title)], row: top, column: left + 2, limit: right - 1, glyphs: glyphs,
                           into: &buffer)
            Self.drawSpans([(" Esc", .key), (" closes ", .dim)], row: bottom, column: left + 2,
                           limit: right - 1, glyphs: glyphs, into: &buffer)
            firstLine = top + 1
            textLeft = left + 2
            textRight = right - 1
        }
        let visible = boxHeight - (bordered ? 2 : 0)
        for (i, entry) in entries.prefix(visible).enumerated() {
            let padding = String(repeating: " ", count: labelWidth - DisplayWidth.of(entry.0) + 2)
            Self.drawSpans([(entry.0, .key), (padding + entry.1, .text)], row: firstLine + i, column: textLeft,
                           limit: textRight, glyphs: glyphs, into: &buffer)
        }
    }
}
