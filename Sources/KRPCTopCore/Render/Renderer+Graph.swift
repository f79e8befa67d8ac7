extension Renderer {
    /// The services view's cluster graphs, side by side (btop's way): calls/s, error %, p99, each over the last
    /// minutes, as block columns several rows high, with the y axis labelled at its top (the maximum) and bottom
    /// (0), and the x axis with the span it covers.
    static func drawClusterGraphs(
        _ history: ClusterHistory, rows: Range<Int>, glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        let count = 3
        let gap = 2
        let width = (buffer.width - 1 - gap * (count - 1)) / count
        guard width >= 12, rows.count >= 4 else { return }
        let graphs: [(String, [Double?], (Double) -> String)] = [
            ("calls/s", history.callRate, { Format.rate($0) }),
            ("errors %", history.errorPercent, { Format.percent($0) }),
            ("p99", history.p99Microseconds.map { $0.map(Double.init) },
             { Format.latency(Int($0.rounded()), ascii: glyphs.ascii) }),
        ]
        for (i, graph) in graphs.enumerated() {
            Self.drawGraph(title: graph.0, values: graph.1, label: graph.2, rows: rows, column: 1 + i * (width + gap),
                           width: width, glyphs: glyphs, into: &buffer)
        }
    }

    /// One graph: a title line, `rows.count - 2` rows of block columns (the newest second at the right), an x axis.
    static func drawGraph(
        title: String, values: [Double?], label: (Double) -> String, rows: Range<Int>, column: Int, width: Int,
        glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        let plotRows = rows.count - 2
        let known = values.compactMap { $0 }.filter { $0.isFinite }
        let maximum = max(known.max() ?? 0, 0)
        let top = label(maximum)
        let bottom = label(0)
        let axisWidth = max(DisplayWidth.of(top), DisplayWidth.of(bottom))
        let plotWidth = max(1, width - axisWidth - 1)
        let plotColumn = column + axisWidth + 1
        // Title: `calls/s now 12.3` (the newest known value).
        let now = values.last.flatMap { $0 }.map(label) ?? "-"
        Self.drawSpans([(title, .title), (" now ", .dim), (now, .text)], row: rows.lowerBound, column: column,
                       limit: column + width, glyphs: glyphs, into: &buffer)
        // Y axis: the maximum at the top row, 0 at the bottom row, a vertical line between.
        let firstPlot = rows.lowerBound + 1
        let lastPlot = firstPlot + plotRows - 1
        buffer.write(String(repeating: " ", count: axisWidth - DisplayWidth.of(top)) + top, row: firstPlot,
                     column: column, style: .dim)
        buffer.write(String(repeating: " ", count: axisWidth - DisplayWidth.of(bottom)) + bottom, row: lastPlot,
                     column: column, style: .dim)
        for row in firstPlot...lastPlot {
            buffer.write(String(glyphs.vertical), row: row, column: plotColumn - 1, style: .border)
        }
        // Columns: one per second, the newest at the right edge.
        let levels = glyphs.sparkLevels
        let shown = Array(values.suffix(plotWidth))
        let start = plotColumn + plotWidth - shown.count
        for (i, value) in shown.enumerated() {
            guard let value, value.isFinite, value > 0, maximum > 0 else { continue }
            // Height in eighths of a row, at least one eighth for any value above 0.
            let eighths = max(1, Int((value / maximum * Double(plotRows * 8)).rounded()))
            for r in 0..<plotRows {
                let fill = min(8, eighths - r * 8)
                guard fill > 0 else { break }
                let index = min(levels.count, max(1, (fill * levels.count + 7) / 8)) - 1
                let style: ThemeKey = r < plotRows / 3 ? .sparkLow : (r < 2 * plotRows / 3 ? .sparkMid : .sparkHigh)
                buffer.put(levels[index], row: lastPlot - r, column: start + i, style: style, selected: false)
            }
        }
        // X axis: how far back the left edge goes, and "now" at the right.
        let span = "-" + Format.age(.seconds(plotWidth))
        let axisRow = rows.upperBound - 1
        buffer.write(span, row: axisRow, column: plotColumn, style: .dim, limit: plotColumn + plotWidth)
        buffer.write("now", row: axisRow, column: max(plotColumn, plotColumn + plotWidth - 3), style: .dim,
                     limit: plotColumn + plotWidth)
    }
}
