/// Where each part of the screen goes for a given size: header, table header, node rows, event log, status bar.
///
/// Shared by the reducer (to scroll and to map clicks) and the renderer, so both agree on how many node rows
/// are visible. Small screens lose parts in this order: the event log, the second header line, the table
/// header, the first header line; the status bar (with the quit key) goes last, so krpc-top stays usable and
/// quittable at 20×5.
struct ScreenLayout: Hashable {
    /// Header lines (0, 1 or 2), from the top.
    var headerRows: Range<Int> = 0..<0
    /// The table's column titles.
    var tableHeaderRow: Int?
    /// Node rows.
    var tableRows: Range<Int> = 0..<0
    /// The event log's title line.
    var logTitleRow: Int?
    /// Event lines.
    var logRows: Range<Int> = 0..<0
    /// The status / help bar (the last line).
    var statusRow: Int?
    /// BROKEN, HALF-OPEN and faulted nodes get a second line with reason, probe countdown and fault.
    var showsDetails = false

    /// Detail lines need this many columns to say anything useful.
    static let minimumDetailWidth = 30
    /// From this height on, detail lines are always shown (the table scrolls); below, only when they fit.
    static let minimumDetailHeight = 10

    /// Computes the layout.
    /// - Parameters:
    ///   - size: The screen.
    ///   - tableLines: How many lines the node table would like (node rows plus detail lines).
    ///   - showsDetails: Whether those lines include detail lines.
    init(size: ScreenSize, tableLines: Int, showsDetails: Bool) {
        self.showsDetails = showsDetails
        guard size.width > 0, size.height > 0 else { return }
        let height = size.height
        self.statusRow = height - 1
        var remaining = height - 1
        let headerCount = remaining >= 10 ? 2 : (remaining >= 2 ? 1 : 0)
        self.headerRows = 0..<headerCount
        remaining -= headerCount
        var next = headerCount
        if remaining >= 4 {
            self.tableHeaderRow = next
            next += 1
            remaining -= 1
        }
        var logLines = 0  // including the title line
        if remaining >= 8 {
            logLines = min(10, max(2, remaining / 4)) + 1
        }
        var table = remaining - logLines
        if logLines > 0 {
            // A short table gives its spare rows to the log rather than leaving a gap.
            let wanted = max(1, tableLines)
            if table > wanted {
                logLines += table - wanted
                table = wanted
            }
        }
        self.tableRows = next..<(next + table)
        next += table
        if logLines > 0 {
            self.logTitleRow = next
            self.logRows = (next + 1)..<(next + logLines)
        }
    }
}

/// Scrolling of the node table, in whole nodes (a node may take two lines).
enum TableScroll {
    /// The first visible node, given the previous one, so that the selected node is visible and no rows are
    /// wasted below the last node.
    /// - Parameters:
    ///   - current: The previous first visible node.
    ///   - selected: The selected node's index, if any.
    ///   - heights: Lines per node.
    ///   - viewport: Table rows on screen.
    static func offset(current: Int, selected: Int?, heights: [Int], viewport: Int) -> Int {
        guard !heights.isEmpty, viewport > 0 else { return 0 }
        var prefix = [0]  // prefix[i] = lines of nodes 0..<i
        prefix.reserveCapacity(heights.count + 1)
        for h in heights { prefix.append(prefix[prefix.count - 1] + h) }
        func lines(_ from: Int, _ upTo: Int) -> Int { prefix[upTo] - prefix[from] }
        var offset = min(max(0, current), heights.count - 1)
        if let selected, heights.indices.contains(selected) {
            if selected < offset { offset = selected }
            while offset < selected && lines(offset, selected + 1) > viewport { offset += 1 }
        }
        while offset > 0 && lines(offset - 1, heights.count) <= viewport { offset -= 1 }
        return offset
    }
}
