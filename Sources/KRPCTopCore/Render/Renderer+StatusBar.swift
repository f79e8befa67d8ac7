extension Renderer {
    /// The bottom line: the filter being typed, else a status message, else key hints from the ``KeyMap``
    /// with the filter, the sort order and the scroll position.
    static func drawStatusBar(
        _ view: ViewState, rows: [NodeSnapshot], heights: [Int], layout: ScreenLayout, row: Int, glyphs: Glyphs,
        into buffer: inout ScreenBuffer
    ) {
        buffer.fill(row: row, style: .statusBar)
        if let input = view.filterInput ?? view.logSearchInput {
            let text = DisplayWidth.sanitized(input)
            let room = max(0, buffer.width - 2)
            let shown = DisplayWidth.suffix(text, width: room)
            Self.drawFlow([
                Segment([("/", .statusKey), (shown, .input), (String(glyphs.cursor), .input)], 100),
                Segment([("Enter", .statusKey), (" apply", .statusBar)], 50),
                Segment([("Esc", .statusKey), (" cancel", .statusBar)], 49),
            ], row: row, glyphs: glyphs, into: &buffer)
            return
        }
        if let message = view.statusMessage {
            Self.drawSpans([(DisplayWidth.sanitized(message.text), message.severity.themeKey)], row: row, column: 0,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
            return
        }
        if view.logFocused {
            // The focused log's own keys (ViewState.handleLogKey), then the way out.
            let up = glyphs.ascii ? "Up/Down" : "↑↓"
            Self.drawFlow([
                Segment([("q", .statusKey), (" quit", .statusBar)], 100),
                Segment([("Tab", .statusKey), (" table", .statusBar)], 99),
                Segment([(up, .statusKey), (" scroll", .statusBar)], 90),
                Segment([("/", .statusKey), (" search", .statusBar)], 80),
                Segment([("Enter", .statusKey), (view.logExpanded ? " close" : " full text", .statusBar)], 70),
                Segment([("PgUp PgDn", .statusKey), (" page", .statusBar)], 60),
                Segment([("Esc", .statusKey), (view.logSearch.isEmpty ? " back" : " clear search", .statusBar)], 50),
            ], row: row, glyphs: glyphs, into: &buffer)
            return
        }
        var segments = view.configuration.keyMap.hints.map { binding in
            Segment([(binding.label(ascii: glyphs.ascii), .statusKey), (" " + (binding.hint ?? ""), .statusBar)],
                    binding.hintPriority)
        }
        switch view.screen {
        case .services:
            segments.append(Segment([("Enter", .statusKey), (" call method", .statusBar)], 98))
        case .nodes:
            break  // Enter (a node's detail) is in the help; the fault keys matter more here
        case .detail:
            segments.append(Segment([("Esc", .statusKey), (" back", .statusBar)], 98))
        }
        if !view.filter.isEmpty {
            segments.append(Segment([("filter ", .statusBar), (DisplayWidth.sanitized(view.filter), .input)], 95))
        }
        segments.append(Segment([("sort ", .statusBar), (view.sortKey.rawValue, .statusKey)], 40))
        if !rows.isEmpty && heights.reduce(0, +) > layout.tableRows.count {
            let first = min(view.scrollOffset, rows.count - 1)
            var last = first
            var used = 0
            for i in first..<rows.count {
                used += heights[i]
                if used > layout.tableRows.count { break }
                last = i
            }
            segments.append(Segment([("\(first + 1)-\(last + 1)/\(rows.count)", .statusBar)], 85))
        }
        Self.drawFlow(segments, row: row, glyphs: glyphs, into: &buffer)
    }
}
