/// How to draw.
public struct RenderOptions: Sendable, Hashable {
    /// Draw with ASCII only (`--ascii`, terminals without UTF-8): `+ HEALTHY`, `~ HALF-OPEN`, `x BROKEN`,
    /// sparkline ` .:-=+*#`, `-`/`|` lines, `~` for a cut text.
    public var ascii: Bool

    /// Creates options.
    public init(ascii: Bool = false) {
        self.ascii = ascii
    }
}

/// Turns a ``ViewState`` (which holds the latest snapshot and the screen size) into a ``ScreenBuffer``.
///
/// Pure and total: any snapshot at any size, 0×0 included, gives a buffer of exactly that size. Layout from
/// the top: a header (service, balancer, rates, latencies, ZooKeeper and Redis state, PAUSED/PANIC), the node
/// table, the event log (newest first) and the status bar (keys from the ``KeyMap``, or a message, or the
/// filter being typed). Node states are told apart by glyph, word and colour. Below 80 columns, table columns
/// drop by priority (address and state last); below about 24 rows the log, then header lines, go.
public enum Renderer {
    /// Draws the view.
    /// - Parameters:
    ///   - view: The view state, including the latest snapshot and the screen size.
    ///   - options: ASCII mode.
    /// - Returns: A buffer of `view.size`.
    public static func render(_ view: ViewState, options: RenderOptions = RenderOptions()) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: view.size.width, height: view.size.height)
        guard buffer.width > 0, buffer.height > 0 else { return buffer }
        let glyphs = Glyphs(ascii: options.ascii)
        if view.screen != .nodes {
            if view.screen == .services {
                Self.drawServices(view, glyphs: glyphs, into: &buffer)
            } else {
                Self.drawDetail(view, glyphs: glyphs, into: &buffer)
            }
            let statusRow = buffer.height - 1
            Self.drawStatusBar(view, rows: [], heights: [], layout: ScreenLayout(size: view.size, tableLines: 0,
                               showsDetails: false), row: statusRow, glyphs: glyphs, into: &buffer)
            if view.showsHelp {
                Self.drawHelp(view, above: statusRow, glyphs: glyphs, into: &buffer)
            }
            return buffer
        }
        let rows = view.rows
        let (layout, heights) = view.tableGeometry(rows: rows)

        if let snapshot = view.snapshot {
            Self.drawHeader(snapshot, rows: layout.headerRows, glyphs: glyphs, into: &buffer)
        } else if let row = layout.headerRows.first {
            Self.drawFlow([Segment([("krpc-top", .title)], 10), Segment([("waiting for the client…", .dim)], 5)],
                          row: row, glyphs: glyphs, into: &buffer)
        }
        Self.drawTable(view, rows: rows, heights: heights, layout: layout, glyphs: glyphs, into: &buffer)
        Self.drawLog(view, layout: layout, glyphs: glyphs, into: &buffer)
        if let row = layout.statusRow {
            Self.drawStatusBar(view, rows: rows, heights: heights, layout: layout, row: row, glyphs: glyphs,
                               into: &buffer)
        }
        if view.showsHelp {
            Self.drawHelp(view, above: layout.statusRow ?? buffer.height, glyphs: glyphs, into: &buffer)
        }
        return buffer
    }

    /// Draws a snapshot at a size: applies both to `view` first (so selection and scrolling follow), then
    /// renders. Handy for tests and for `--once` previews.
    public static func render(
        snapshot: DashboardSnapshot, view: ViewState, size: ScreenSize, options: RenderOptions = RenderOptions()
    ) -> ScreenBuffer {
        var view = view
        _ = view.apply(.resize(size))
        _ = view.apply(.snapshot(snapshot))
        return Self.render(view, options: options)
    }

    /// Lines a node takes in the table: 1, or 2 with a detail line (reason, probe countdown, fault, broken here only).
    static func lineCount(of node: NodeSnapshot, details: Bool) -> Int {
        details && Self.hasDetail(node) ? 2 : 1
    }

    static func hasDetail(_ node: NodeSnapshot) -> Bool {
        guard !node.isDeparted else { return false }  // a GONE row is one line, its numbers frozen
        return node.fault != nil || node.fleet?.brokenHereOnly == true
            || (node.state != .healthy && (node.reason != nil || node.nextProbeIn != nil))
    }
}

// MARK: Spans and flows

/// A run of text in one style.
typealias Span = (text: String, style: ThemeKey)

/// A group of spans kept or dropped together; lower priorities are dropped first when space runs out.
struct Segment {
    var spans: [Span]
    var priority: Int
    init(_ spans: [Span], _ priority: Int) {
        self.spans = spans
        self.priority = priority
    }
    var width: Int { self.spans.reduce(0) { $0 + DisplayWidth.of($1.text) } }
}

extension Renderer {
    /// Writes spans from `column` up to `limit`, cutting the last visible one with an ellipsis.
    /// - Returns: The column after the last cell written.
    @discardableResult
    static func drawSpans(
        _ spans: [Span], row: Int, column: Int, limit: Int, selected: Bool = false, glyphs: Glyphs,
        into buffer: inout ScreenBuffer
    ) -> Int {
        let total = spans.reduce(0) { $0 + DisplayWidth.of($1.text) }
        var col = column
        if column + total <= limit {
            for span in spans {
                col = buffer.write(span.text, row: row, column: col, style: span.style, selected: selected,
                                   limit: limit)
            }
            return col
        }
        guard limit > column else { return column }
        if limit - column <= 2 {
            // No room for an ellipsis to help: show what fits (the `q` of `q quit` on a 1-column screen).
            var text = ""
            for span in spans { text += span.text }
            return buffer.write(DisplayWidth.prefix(text, width: limit - column), row: row, column: column,
                                style: spans.first?.style ?? .text, selected: selected, limit: limit)
        }
        var room = limit - column - 1  // one cell for the ellipsis
        var lastStyle = spans.first?.style ?? .text
        for span in spans where room > 0 {
            let drawn = DisplayWidth.prefix(span.text, width: room)
            col = buffer.write(drawn, row: row, column: col, style: span.style, selected: selected, limit: limit)
            room -= DisplayWidth.of(drawn)
            lastStyle = span.style
            if drawn.count < span.text.count { break }
        }
        return buffer.write(String(glyphs.ellipsis), row: row, column: col, style: lastStyle, selected: selected,
                            limit: limit)
    }

    /// Writes segments left to right with `gap` blanks between them, dropping the lowest priorities until
    /// they fit; a lone segment that still does not fit is cut.
    static func drawFlow(
        _ segments: [Segment], row: Int, from: Int = 0, to: Int? = nil, gap: Int = 2, selected: Bool = false,
        glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        let limit = min(to ?? buffer.width, buffer.width)
        var kept = segments.filter { $0.width > 0 }
        func total() -> Int { kept.reduce(0) { $0 + $1.width } + gap * max(0, kept.count - 1) }
        while kept.count > 1 && from + total() > limit {
            // Drop the lowest priority; among equals, the rightmost.
            var victim = kept.count - 1
            for i in kept.indices.reversed() where kept[i].priority < kept[victim].priority { victim = i }
            kept.remove(at: victim)
        }
        var col = from
        for (i, segment) in kept.enumerated() {
            if i > 0 { col += gap }
            col = Self.drawSpans(segment.spans, row: row, column: col, limit: limit, selected: selected,
                                 glyphs: glyphs, into: &buffer)
        }
    }
}
