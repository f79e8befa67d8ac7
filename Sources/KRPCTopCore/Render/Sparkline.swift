/// The latency sparkline: the last minute, one value per second, squeezed into the column.
enum Sparkline {
    /// Values are clamped to this (11.6 days in microseconds), so scaling never overflows.
    static let ceiling = 1_000_000_000_000

    /// Cells for a history (oldest first, `nil` = no calls), right-aligned in `width` cells and scaled to
    /// `maximum` (shared by every row so that rows compare). Each cell shows the largest value of the seconds
    /// it covers.
    static func cells(_ history: [Int?], width: Int, maximum: Int, glyphs: Glyphs) -> [(Character, ThemeKey)] {
        guard width > 0 else { return [] }
        let first = max(0, history.count - 60)
        let count = history.count - first
        guard count > 0 else { return [] }
        let perCell = max(1, (count + width - 1) / width)
        let levels = glyphs.sparkLevels
        var cells: [(Character, ThemeKey)] = []
        cells.reserveCapacity(min(width, count))
        var end = history.count
        while end > first && cells.count < width {
            let start = max(first, end - perCell)
            var bucket = -1  // the largest value in the cell's seconds; -1: no calls at all
            for i in start..<end {
                if let v = history[i] { bucket = max(bucket, min(max(0, v), Self.ceiling)) }
            }
            end = start
            guard bucket >= 0 else {
                cells.append((" ", .dim))
                continue
            }
            let maximum = min(maximum, Self.ceiling)
            let level8 = maximum > 0 ? min(8, max(1, (bucket * 8 + maximum - 1) / maximum)) : 1
            let style: ThemeKey = level8 <= 3 ? .sparkLow : (level8 <= 6 ? .sparkMid : .sparkHigh)
            let index = min(levels.count, max(1, (level8 * levels.count + 7) / 8)) - 1
            cells.append((levels[index], style))
        }
        return cells.reversed()
    }
}
