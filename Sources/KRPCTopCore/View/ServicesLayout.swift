/// Where each part of the services view goes: header, column titles, one row per method, the cluster graphs
/// (when the height allows) and the status bar.
struct ServicesLayout: Hashable {
    /// Header lines, from the top.
    var headerRows: Range<Int> = 0..<0
    /// The column titles.
    var tableHeaderRow: Int?
    /// Method rows.
    var tableRows: Range<Int> = 0..<0
    /// The cluster graphs (rate, errors, p99), below the table; empty when the screen is too short.
    var graphRows: Range<Int> = 0..<0
    /// The status bar.
    var statusRow: Int?

    /// Graphs need this many rows below a table of at least ``minimumTableRows``.
    static let graphHeight = 7
    static let minimumTableRows = 4

    /// Computes the layout for `size` and `methods` rows.
    init(size: ScreenSize, methods: Int) {
        let base = ScreenLayout(size: size, tableLines: max(1, methods), showsDetails: false)
        self.headerRows = base.headerRows
        self.tableHeaderRow = base.tableHeaderRow
        self.statusRow = base.statusRow
        let first = base.tableRows.lowerBound
        let end = base.statusRow ?? size.height
        guard end > first else {
            self.tableRows = first..<first
            return
        }
        let available = end - first
        if size.width >= 40 && available >= Self.graphHeight + Self.minimumTableRows {
            let table = max(Self.minimumTableRows, min(available - Self.graphHeight, max(1, methods)))
            self.tableRows = first..<(first + table)
            self.graphRows = (end - Self.graphHeight)..<end
            // Rows between a short table and the graphs stay blank.
        } else {
            self.tableRows = first..<end
        }
    }
}

extension ViewState {
    /// The services view's geometry at the current size.
    var servicesLayout: ServicesLayout { ServicesLayout(size: self.size, methods: self.serviceRows.count) }
}
