import KRPCPolicy

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
        for (row, line) in zip(layout.logRows, Self.logLines(events)) {
            Self.drawSpans(Self.logSpans(line, utcOffset: offset, glyphs: glyphs), row: row, column: 1,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
        }
    }

    /// The events (newest first) as log lines, repeating patterns folded (``EventFolding``).
    static func logLines(_ events: [DashboardEvent]) -> [LogLine] {
        EventFolding.lines(events)
    }

    /// One log line: time, node, what happened, reason. A folded breaker cycle reads
    /// `09:49:40 127.0.0.1:9000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×3 since 09:49:38  <newest reason>`; panic flapping
    /// `PANIC mode on ⇄ off ×12 since …`; any other pattern its events' words joined by `⇄`, then the count.
    static func logSpans(_ line: LogLine, utcOffset: Int, glyphs: Glyphs) -> [Span] {
        let event = line.event
        var spans: [Span] = [(Format.clock(event.time, utcOffsetSeconds: utcOffset) + " ", .dim)]
        if let node = event.node {
            spans.append((DisplayWidth.sanitized(node.description) + " ", .text))
        }
        let both = glyphs.ascii ? " <-> " : " ⇄ "
        if line.isFolded {
            let pattern = line.pattern
            if pattern.count == 2, case .transition(let a, let b) = pattern[0].kind,
                case .transition(let c, let d) = pattern[1].kind, a == d, b == c
            {
                spans += [Self.stateSpan(a, glyphs), (both, .dim), Self.stateSpan(b, glyphs)]
            } else if pattern.count == 2, case .panic(let on) = pattern[0].kind, case .panic = pattern[1].kind {
                spans += on
                    ? [("PANIC mode on", .broken), (both, .dim), ("off", .ok)]
                    : [("panic mode off", .ok), (both, .dim), ("on", .broken)]
            } else {
                for (i, e) in pattern.enumerated() {
                    if i > 0 { spans.append((both, .dim)) }
                    spans += Self.kindSpans(e, glyphs: glyphs)
                }
            }
            let since = Format.clock(line.since, utcOffsetSeconds: utcOffset)
            spans.append(((glyphs.ascii ? " x" : " ×") + "\(line.count) since \(since)", .dim))
        } else {
            spans += Self.kindSpans(event, glyphs: glyphs)
        }
        if let reason = event.reason, !reason.isEmpty {
            spans.append(("  " + DisplayWidth.sanitized(reason), .reason))
        }
        return spans
    }

    static func stateSpan(_ s: NodeState, _ glyphs: Glyphs) -> Span {
        (String(s.glyph(ascii: glyphs.ascii)) + " " + s.word, s.themeKey)
    }

    /// What happened, in words, without time, node or reason.
    static func kindSpans(_ event: DashboardEvent, glyphs: Glyphs) -> [Span] {
        switch event.kind {
        case .transition(let from, let to):
            return [Self.stateSpan(from, glyphs), (" " + glyphs.arrow + " ", .dim), Self.stateSpan(to, glyphs)]
        case .joined:
            return [("joined", .ok)]
        case .left:
            return [("left", .warning)]
        case .zookeeper(let s):
            return [("zookeeper ", .dim), (s.jsonName, s.themeKey)]
        case .redis(let s):
            return [("redis ", .dim), (s.jsonName, s.themeKey)]
        case .faultSet(let value):
            return [("fault ", .dim), (DisplayWidth.sanitized(value), .fault), (" set", .dim)]
        case .faultCleared:
            return [("fault cleared", .ok)]
        case .panic(let on):
            return [on ? ("PANIC mode on", .broken) : ("panic mode off", .ok)]
        }
    }
}
