extension Renderer {
    /// The help page: every binding of the key map (keys, then what they do), then what each column means, the
    /// fault keys' delay and time to live, and the mouse; in a box above the status bar, scrolled with ↑/↓ when it
    /// does not fit. Without a border when the screen is tiny.
    static func drawHelp(_ view: ViewState, above limitRow: Int, glyphs: Glyphs, into buffer: inout ScreenBuffer) {
        let height = min(limitRow, buffer.height)
        guard height > 0 else { return }
        let bordered = buffer.width >= 12 && height >= 5
        let lines = Self.helpLines(view, glyphs: glyphs, width: max(10, buffer.width - (bordered ? 4 : 0)))
        let innerWidth = lines.reduce(0) { max($0, $1.reduce(0) { $0 + DisplayWidth.of($1.text) }) }
        let boxWidth = min(buffer.width, innerWidth + (bordered ? 4 : 0))
        let boxHeight = min(height, lines.count + (bordered ? 2 : 0))
        let left = (buffer.width - boxWidth) / 2
        let top = (height - boxHeight) / 2
        for row in top..<(top + boxHeight) {
            buffer.fill(row: row, from: left, to: left + boxWidth, style: .text)
        }
        var firstLine = top
        var textLeft = left
        var textRight = left + boxWidth
        let visible = boxHeight - (bordered ? 2 : 0)
        let offset = min(view.helpScrollOffset, max(0, lines.count - visible))
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
            Self.drawSpans([(" help ", .title)], row: top, column: left + 2, limit: right - 1, glyphs: glyphs,
                           into: &buffer)
            var footer: [Span] = [(" Esc", .key), (" closes ", .dim)]
            if lines.count > visible {
                footer += [(glyphs.ascii ? "Up/Down" : "↑/↓", .key),
                           (" scroll \(offset + 1)-\(offset + visible)/\(lines.count) ", .dim)]
            }
            Self.drawSpans(footer, row: bottom, column: left + 2, limit: right - 1, glyphs: glyphs, into: &buffer)
            firstLine = top + 1
            textLeft = left + 2
            textRight = right - 1
        }
        for (i, spans) in lines.dropFirst(offset).prefix(visible).enumerated() {
            Self.drawSpans(spans, row: firstLine + i, column: textLeft, limit: textRight, glyphs: glyphs,
                           into: &buffer)
        }
    }

    /// The help's lines: the key map first (one binding a line), then the columns, faults and mouse.
    static func helpLines(_ view: ViewState, glyphs: Glyphs, width: Int) -> [[Span]] {
        let keyMap = view.configuration.keyMap
        let entries = keyMap.bindings.map { ($0.label(ascii: glyphs.ascii), $0.help) }
        let labelWidth = entries.reduce(0) { max($0, DisplayWidth.of($1.0)) }
        var lines: [[Span]] = entries.map { entry in
            let padding = String(repeating: " ", count: labelWidth - DisplayWidth.of(entry.0) + 2)
            return [(entry.0, .key), (padding + entry.1, .text)]
        }
        let window = Format.countdown(view.snapshot?.windowLength ?? RollingWindow.defaultLength)
        let ttl = Format.countdown(view.configuration.faultTTL)
        let delay = view.configuration.delayMilliseconds
        /// A name, then its text wrapped under itself (a hanging indent); unwrapped when the screen is too narrow.
        func add(_ name: String, nameWidth: Int, _ text: String) {
            let indent = nameWidth + 2
            let pieces = width - indent >= 16 ? Self.wrap(text, width: width - indent) : [text]
            for (i, piece) in pieces.enumerated() {
                let head = i == 0 ? name + String(repeating: " ", count: indent - DisplayWidth.of(name))
                    : String(repeating: " ", count: indent)
                lines.append([(head, .key), (piece, .text)])
            }
        }
        func section(_ title: String, _ rows: [(String, String)]) {
            lines.append([])
            lines.append([(title, .title)])
            let width = rows.reduce(0) { max($0, DisplayWidth.of($1.0)) }
            for (name, text) in rows { add(name, nameWidth: width, text) }
        }
        section("Node table", [
            ("ADDRESS", "the node, host:port"),
            ("STATE", "the breaker: HEALTHY, HALF-OPEN (trying), BROKEN (skipped), GONE (left)"),
            ("AGE", "time since the node left HEALTHY (one failing stretch), or healthy since"),
            ("REDIS", "calls the node handled, counted in Redis by every client"),
            ("R/S", "REDIS per second over the window"),
            ("CALLS", "this client's attempts on the node in the last \(window)"),
            ("ERR%", "failed attempts (errors and timeouts) in the last \(window); - without calls"),
            ("P50 P99", "latency percentiles of this client's attempts in the last \(window)"),
            ("LATENCY", "p99 per second over the last minute; the scale (max) is in the title"),
            ("INFL", "this client's calls to the node in flight now"),
        ])
        section("Services view", [
            ("NODES", "nodes registered for the method in ZooKeeper"),
            ("HEALTHY", "nodes this client saw HEALTHY; - for a method it has not called"),
            ("CALLS/S", "cluster-wide calls per second over the window (Redis, every client)"),
            ("ERR%", "cluster-wide errors in percent of the calls over the window"),
            ("REDIS", "calls counted in Redis since the counts began"),
            ("ERRORS", "errors counted in Redis since the counts began"),
        ])
        section("Faults", [
            ("e t d", "set krpc:fault:<host:port> in Redis to error, timeout or delay:\(delay) (a \(delay) ms delay)"),
            ("TTL", "a fault lasts \(ttl) (--fault-ttl), then the key expires; c deletes it now"),
            ("", "servers honour it only with --allow-fault-injection"),
        ])
        section("Mouse", [
            ("click", "selects the row under the pointer"),
            ("wheel", "moves the selection up or down"),
        ])
        return lines
    }
}
