/// The latency sparkline: the last minute, one value per second, squeezed into the column.
///
/// The scale is clipped, not stretched to the largest value: its top is the 95th percentile of the values shown
/// (every row's, so rows compare; the plain maximum with fewer than 20 values), and a value above it draws a full
/// bar. So one spike (a 1 s timeout among 400 µs calls) does not flatten the other seconds into the lowest bar.
/// The column title shows the top of the scale.
enum Sparkline {
    /// The top of the scale for these histories: the 95th percentile of their values (nearest rank), or the
    /// maximum with fewer than 20 values; 0 without values.
    static func scale(_ histories: [[Int?]]) -> Int {
        var values: [Int] = []
        for history in histories {
            for value in history.suffix(60) { if let value, value > 0 { values.append(min(value, Self.ceiling)) } }
        }
        guard !values.isEmpty else { return 0 }
        values.sort()
        guard values.count >= 20 else { return values[values.count - 1] }
        let rank = (values.count * 95 + 99) / 100  // nearest rank, 1-based
        return values[rank - 1]
    }

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
