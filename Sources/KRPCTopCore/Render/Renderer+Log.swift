import KRPCPolicy

extension Renderer {
    /// The event log: a title line, then the folded lines newest first (``ViewState/logLines``) from the scroll
    /// position; focused (Tab), the selected line is highlighted and the title says where the view is; Enter
    /// shows the selected line in full instead.
    static func drawLog(_ view: ViewState, layout: ScreenLayout, glyphs: Glyphs, into buffer: inout ScreenBuffer) {
        guard let titleRow = layout.logTitleRow else { return }
        let lines = view.logLines
        let line = String(glyphs.horizontal)
        buffer.write(line + " ", row: titleRow, column: 0, style: .border)
        var col = buffer.write("events", row: titleRow, column: 2, style: view.logFocused ? .tableHeaderSorted : .title)
        if view.logFocused || !view.logSearch.isEmpty {
            var note = ""
            if !lines.isEmpty {
                let last = min(lines.count, view.logScrollOffset + layout.logRows.count)
                note += " \(view.logScrollOffset + 1)-\(last)/\(lines.count)"
            }
            if !view.logSearch.isEmpty { note += " /" + DisplayWidth.sanitized(view.logSearch) }
            col = buffer.write(note, row: titleRow, column: col, style: .dim)
        }
        col = buffer.write(" " + String(repeating: line, count: max(0, buffer.width - col - 1)), row: titleRow,
                           column: col, style: .border)
        guard !lines.isEmpty else {
            let text = view.logSearch.isEmpty ? "no events yet" : "no event matches '\(view.logSearch)' (Esc clears)"
            Self.drawSpans([(DisplayWidth.sanitized(text), .dim)], row: layout.logRows.lowerBound, column: 1,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
            return
        }
        let offset = view.snapshot?.utcOffsetSeconds ?? 0
        if view.logFocused && view.logExpanded && lines.indices.contains(view.logSelection) {
            let text = Self.fullText(of: lines[view.logSelection], utcOffset: offset, glyphs: glyphs)
            let wrapped = text.flatMap { Self.wrap($0, width: max(1, buffer.width - 2)) }
            for (row, part) in zip(layout.logRows, wrapped) {
                Self.drawSpans([(part, .text)], row: row, column: 1, limit: buffer.width, glyphs: glyphs,
                               into: &buffer)
            }
            return
        }
        let first = min(view.logScrollOffset, lines.count - 1)
        for (row, index) in zip(layout.logRows, first..<lines.count) {
            let selected = view.logFocused && index == view.logSelection
            if selected {
                buffer.fill(row: row, style: .text, selected: true)
                buffer.write(String(glyphs.marker), row: row, column: 0, style: .text, selected: true)
            }
            Self.drawSpans(Self.logSpans(lines[index], utcOffset: offset, glyphs: glyphs), row: row, column: 1,
                           limit: buffer.width, selected: selected, glyphs: glyphs, into: &buffer)
        }
    }

    /// A log line as plain text (what the search matches).
    static func logText(of line: LogLine, utcOffset: Int) -> String {
        Self.logSpans(line, utcOffset: utcOffset, glyphs: Glyphs(ascii: false)).map(\.text).joined()
    }

    /// Everything one log line stands for, as paragraphs: when, which node, what happened, the reason in full,
    /// and for a folded line the pattern's events and how often they came.
    static func fullText(of line: LogLine, utcOffset: Int, glyphs: Glyphs) -> [String] {
        let e = line.event
        var text = ["time   " + Format.iso8601(e.time)]
        if let node = e.node { text.append("node   " + DisplayWidth.sanitized(node.description)) }
        text.append("what   " + Self.kindSpans(e, glyphs: glyphs).map(\.text).joined())
        if let reason = e.reason, !reason.isEmpty { text.append("why    " + DisplayWidth.sanitized(reason)) }
        if line.isFolded {
            text.append("repeat \(line.count) times (\(line.eventCount) events) since "
                + Format.clock(line.since, utcOffsetSeconds: utcOffset) + ", each time:")
            for p in line.pattern {
                var part = "- " + Self.kindSpans(p, glyphs: glyphs).map(\.text).joined()
                if let reason = p.reason, !reason.isEmpty { part += "  " + DisplayWidth.sanitized(reason) }
                text.append(part)
            }
        }
        return text
    }

    /// Word-wraps `text` to `width` cells; a word longer than a line is cut into pieces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            let candidate = current.isEmpty ? word : current + " " + word
            if DisplayWidth.of(candidate) <= width {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            while DisplayWidth.of(word) > width {
                let head = DisplayWidth.prefix(word, width: width)
                if head.isEmpty { break }
                lines.append(head)
                word = String(word.dropFirst(head.count))
            }
            current = word
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
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
