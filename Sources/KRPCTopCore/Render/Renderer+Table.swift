extension Renderer {
    static func drawTable(
        _ view: ViewState, rows: [NodeSnapshot], heights: [Int], layout: ScreenLayout, glyphs: Glyphs,
        into buffer: inout ScreenBuffer
    ) {
        let addressWidth = rows.reduce(0) { max($0, DisplayWidth.of(DisplayWidth.sanitized($1.address.description))) }
        let fleetWidth = rows.compactMap { $0.fleet.map { DisplayWidth.of($0.cell(ascii: glyphs.ascii)) } }.max()
        let table = TableColumns(width: buffer.width, addressWidth: addressWidth, fleetWidth: fleetWidth)
        let sparkMax = Sparkline.scale(rows.map(\.latencyHistory))
        if let row = layout.tableHeaderRow {
            Self.drawTableHeader(table, sortedBy: ColumnID.sorted(by: view.sortKey), sparkMax: sparkMax,
                                 ascii: glyphs.ascii, row: row, into: &buffer)
        }
        guard !layout.tableRows.isEmpty else { return }
        guard !rows.isEmpty else {
            let text: String
            if view.snapshot == nil {
                text = "waiting for the first snapshot"
            } else if !view.filter.isEmpty {
                text = "no node matches '\(DisplayWidth.sanitized(view.filter))' (Esc clears the filter)"
            } else if let snapshot = view.snapshot, !snapshot.zookeeper.hasAnsweredMembership {
                // Never "no nodes" while the registry was not reached: that would be a claim about the cluster.
                text = snapshot.zookeeper == .unknown
                    ? "waiting for the registry" : "ZooKeeper not reached (\(snapshot.zookeeper.jsonName))"
            } else {
                text = "no nodes registered for this method"
            }
            Self.drawSpans([(text, .dim)], row: layout.tableRows.lowerBound, column: 1, limit: buffer.width,
                           glyphs: glyphs, into: &buffer)
            return
        }
        let selected = view.selectedIndex
        let offset = TableScroll.offset(current: view.scrollOffset, selected: selected, heights: heights,
                                        viewport: layout.tableRows.count)
        var line = layout.tableRows.lowerBound
        var index = offset
        while line < layout.tableRows.upperBound && index < rows.count {
            let node = rows[index]
            let isSelected = index == selected
            Self.drawNodeRow(node, table: table, selected: isSelected, sparkMax: sparkMax, row: line, glyphs: glyphs,
                             into: &buffer)
            line += 1
            if heights[index] > 1 && line < layout.tableRows.upperBound {
                Self.drawDetailLine(node, selected: isSelected, row: line, glyphs: glyphs, into: &buffer)
                line += 1
            }
            index += 1
        }
    }

    /// The column titles. The latency title sits flush right over its sparkline (which is right-aligned: the newest
    /// second at the right edge) and gives the sparkline's scale, its maximum: `LATENCY ≤2.4ms`.
    static func drawTableHeader(
        _ table: TableColumns, sortedBy: ColumnID, sparkMax: Int = 0, ascii: Bool = false, row: Int,
        into buffer: inout ScreenBuffer
    ) {
        buffer.fill(row: row, style: .tableHeader)
        for column in table.columns {
            var title = column.id.title
            if column.id == .state && table.compactState { title = "" }
            if column.id == .latency {
                let scale = sparkMax > 0 ? (ascii ? "<=" : "≤") + Format.latency(sparkMax, ascii: ascii) : ""
                let candidates = scale.isEmpty ? [title, "LAT"] : [title + " " + scale, "LAT " + scale, scale, "LAT"]
                title = candidates.first { DisplayWidth.of($0) <= column.width } ?? "LAT"
            }
            title = DisplayWidth.prefix(title, width: column.width)
            let width = DisplayWidth.of(title)
            let flushRight = column.id.rightAligned || column.id == .latency
            let start = flushRight ? column.start + column.width - width : column.start
            let style: ThemeKey = column.id == sortedBy ? .tableHeaderSorted : .tableHeader
            buffer.write(title, row: row, column: start, style: style, limit: column.start + column.width)
        }
    }

    static func drawNodeRow(
        _ node: NodeSnapshot, table: TableColumns, selected: Bool, sparkMax: Int, row: Int, glyphs: Glyphs,
        into buffer: inout ScreenBuffer
    ) {
        if selected {  // the buffer starts blank: only the selected row needs its background
            buffer.fill(row: row, style: .text, selected: true)
            buffer.write(String(glyphs.marker), row: row, column: 0, style: .text, selected: true)
        }
        let gone = node.isDeparted
        for column in table.columns {
            let end = column.start + column.width
            func cell(_ text: String, _ style: ThemeKey) {
                let style = gone ? .dim : style  // a departed node's numbers are frozen: all dimmed
                let text = DisplayWidth.truncated(text, to: column.width, ellipsis: glyphs.ellipsis)
                let start = column.id.rightAligned ? end - DisplayWidth.of(text) : column.start
                buffer.write(text, row: row, column: start, style: style, selected: selected, limit: end)
            }
            switch column.id {
            case .address:
                let address = DisplayWidth.truncatedAddress(
                    DisplayWidth.sanitized(node.address.description), to: column.width, ellipsis: glyphs.ellipsis)
                buffer.write(address, row: row, column: column.start, style: gone ? .dim : .text, selected: selected,
                             limit: end)
            case .state:
                if gone {
                    let glyph = glyphs.ascii ? "-" : "○"
                    cell(table.compactState ? glyph : glyph + " GONE", .dim)
                } else {
                    let glyph = String(node.state.glyph(ascii: glyphs.ascii))
                    cell(table.compactState ? glyph : glyph + " " + node.state.word, node.state.themeKey)
                }
            case .fleet:
                if let fleet = node.fleet, fleet.isKnown, !gone {
                    cell(fleet.cell(ascii: glyphs.ascii), fleet.worst.themeKey)
                } else {
                    cell("-", .dim)
                }
            case .age:
                // A departed node: how long ago it left.
                cell(Format.age(node.departedFor ?? node.age), .dim)
            case .redisCalls:
                cell(node.redisCalls.map(Format.count) ?? "-", .text)
            case .redisRate:
                cell(node.redisCallRate.map(Format.rate) ?? "-", .dim)
            case .calls:
                cell(Format.count(node.window.attempts), .text)
            case .errorPercent:
                let percent = node.window.errorPercent
                cell(Format.percent(percent), Self.errorSeverity(percent))
            case .p50:
                cell(Format.latency(node.window.p50Microseconds, ascii: glyphs.ascii), .text)
            case .p99:
                cell(Format.latency(node.window.p99Microseconds, ascii: glyphs.ascii), .text)
            case .latency:
                let spark = Sparkline.cells(node.latencyHistory, width: column.width, maximum: sparkMax,
                                            glyphs: glyphs)
                var col = end - spark.count
                for (character, style) in spark {
                    buffer.put(character, row: row, column: col, style: style, selected: selected)
                    col += 1
                }
            case .inFlight:
                cell(Format.count(node.inFlight), .dim)
            }
        }
    }

    /// The colour of an error percentage by severity: none (or unknown) plain, below 5 % the warning colour's
    /// milder neighbour (half-open), below 50 % a warning, from 50 % the broken colour.
    static func errorSeverity(_ percent: Double?) -> ThemeKey {
        guard let percent, percent > 0 else { return .text }
        switch percent {
        case ..<5: return .halfOpen
        case ..<50: return .warning
        default: return .broken
        }
    }

    /// `<next>1.2s` until the next probe, or `probe sent 0.3s ago` while one is out; `nil` when none is scheduled.
    static func probeSpans(_ node: NodeSnapshot, next: String) -> [Span]? {
        if let sent = node.probeSentAgo {
            return [("probe sent ", .dim), (Format.countdown(sent), .text), (" ago", .dim)]
        }
        return node.nextProbeIn.map { [(next, .dim), (Format.countdown($0), .text)] }
    }

    /// The detail line's mark of a node that fails for this client while every other client sees it healthy.
    static let brokenHereOnly = "broken here only"

    /// `└ probe in 1.2s · fault error · broken here only · 5 consecutive failures: internal 'injected error'`, or
    /// `└ probe sent 0.3s ago · …` while a probe awaits its answer.
    static func drawDetailLine(
        _ node: NodeSnapshot, selected: Bool, row: Int, glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        if selected { buffer.fill(row: row, style: .text, selected: true) }
        var parts: [[Span]] = []
        if node.state != .healthy, let probe = Self.probeSpans(node, next: "probe in ") {
            parts.append(probe)
        }
        if let fault = node.fault {
            parts.append([("fault ", .dim), (DisplayWidth.sanitized(fault), .fault)])
        }
        if node.fleet?.brokenHereOnly == true {
            parts.append([(Self.brokenHereOnly, node.state.themeKey)])
        }
        if let reason = node.reason, node.state != .healthy {
            parts.append([(DisplayWidth.sanitized(reason), .reason)])
        }
        var spans: [Span] = [(glyphs.detail + " ", .border)]
        for (i, part) in parts.enumerated() {
            if i > 0 { spans.append((glyphs.separator, .dim)) }
            spans += part
        }
        Self.drawSpans(spans, row: row, column: 3, limit: buffer.width, selected: selected, glyphs: glyphs,
                       into: &buffer)
    }
}
