extension Renderer {
    /// The event log: a title line, then events newest first.
    static func drawLog(_ snapshot: DashboardSnapshot?, layout: ScreenLayout, glyphs: Glyphs,
                        into buffer: inout ScreenBuffer) {
        guard let titleRow = layout.logTitleRow else { return }
        let events = (snapshot?.events ?? []).enumerated()
            .sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset < $1.offset }
            .map(\.element)
        let line = String(glyphs.horizontal)
        buffer.write(line + " ", row: titleRow, column: 0, style: .border)
        var col = buffer.write("events", row: titleRow, column: 2, style: .title)
        col = buffer.write(" " + String(repeating: line, count: max(0, buffer.width - col - 1)), row: titleRow,
                           column: col, style: .border)
        guard !events.isEmpty else {
            Self.drawSpans([("no events yet", .dim)], row: layout.logRows.lowerBound, column: 1, limit: buffer.width,
                           glyphs: glyphs, into: &buffer)
            return
        }
        let offset = snapshot?.utcOffsetSeconds ?? 0
        for (row, event) in zip(layout.logRows, events) {
            Self.drawSpans(Self.eventSpans(event, utcOffset: offset, glyphs: glyphs), row: row, column: 1,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
        }
    }

    static func eventSpans(_ event: DashboardEvent, utcOffset: Int, glyphs: Glyphs) -> [Span] {
        var spans: [Span] = [(Format.clock(event.time, utcOffsetSeconds: utcOffset) + " ", .dim)]
        if let node = event.node {
            spans.append((DisplayWidth.sanitized(node.description) + " ", .text))
        }
        func state(_ s: NodeState) -> Span { (String(s.glyph(ascii: glyphs.ascii)) + " " + s.word, s.themeKey) }
        switch event.kind {
        case .transition(let from, let to):
            spans += [state(from), (" " + glyphs.arrow + " ", .dim), state(to)]
        case .joined:
            spans.append(("joined", .ok))
        case .left:
            spans.append(("left", .warning))
        case .zookeeper(let s):
            spans += [("zookeeper ", .dim), (s.jsonName, s.themeKey)]
        case .redis(let s):
            spans += [("redis ", .dim), (s.jsonName, s.themeKey)]
        case .faultSet(let value):
            spans += [("fault ", .dim), (DisplayWidth.sanitized(value), .fault), (" set", .dim)]
        case .faultCleared:
            spans.append(("fault cleared", .ok))
        case .panic(let on):
            spans.append(on ? ("PANIC mode on", .broken) : ("panic mode off", .ok))
        }
        if let reason = event.reason, !reason.isEmpty {
            spans.append(("  " + DisplayWidth.sanitized(reason), .reason))
        }
        return spans
    }
}
