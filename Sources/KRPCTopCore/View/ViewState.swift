public import KRPCPolicy

/// What the dashboard shows and how: the latest snapshot, the screen size, selection, sort, filter, help
/// overlay, theme name and the status line. Changed only by ``apply(_:)``, a pure reducer.
///
/// ```swift
/// var view = ViewState(size: ScreenSize(width: 80, height: 24))
/// for event in events {                      // keys, snapshots, resizes, ticks
///     for effect in view.apply(event) { execute(effect) }
///     screen.present(Renderer.render(view))
/// }
/// ```
public struct ViewState: Sendable, Hashable {
    /// Which screen is shown.
    public enum Screen: Sendable, Hashable {
        /// Every `<Service>.<Method>` of the registry; Enter opens one.
        case services
        /// The nodes of the watched method (the table); Enter opens a node's detail.
        case nodes
        /// One node's whole story (``detailAddress``).
        case detail
    }

    /// Key table, fault values, rate ladder, balancer and theme names.
    public var configuration: ViewConfiguration
    /// The latest snapshot; `nil` until the first one arrives.
    public internal(set) var snapshot: DashboardSnapshot? {
        didSet {
            self.rows = self.computeRows()
            if self.snapshot?.events != oldValue?.events { self.refreshLog() }
        }
    }
    /// The terminal size.
    public internal(set) var size: ScreenSize
    /// The time of the latest ``TopEvent/tick(_:)``.
    public internal(set) var now: Duration
    /// The table's sort order.
    public internal(set) var sortKey: SortKey {
        didSet { self.rows = self.computeRows() }
    }
    /// The applied address filter (case-insensitive substring); empty shows every node.
    public internal(set) var filter: String {
        didSet { self.rows = self.computeRows() }
    }
    /// The filter being typed after `/`; `nil` when not typing.
    public internal(set) var filterInput: String?
    /// The help overlay is shown.
    public internal(set) var showsHelp: Bool
    /// The selected node; it stays selected across snapshots and re-sorts while it is listed.
    public internal(set) var selectedAddress: NodeAddress?
    /// The first node shown in the table (scrolling), as an index into ``rows``.
    public internal(set) var scrollOffset: Int
    /// The transient status line message, if any.
    public internal(set) var statusMessage: StatusMessage?
    /// The theme in use, by name.
    public internal(set) var themeName: String
    /// The screen shown.
    public internal(set) var screen: Screen
    /// The selected row of the services view, as an index into ``serviceRows``.
    public internal(set) var selectedServiceIndex = 0
    /// The first row shown in the services view.
    public internal(set) var serviceScrollOffset = 0
    /// The node the detail screen is about (while ``screen`` is ``Screen/detail``).
    public internal(set) var detailAddress: NodeAddress?
    /// The first line of the help shown (it scrolls with ↑/↓ when it does not fit).
    public internal(set) var helpScrollOffset = 0
    /// The first line of the node detail shown (it scrolls with ↑/↓ when it does not fit).
    public internal(set) var detailScrollOffset = 0
    /// The event log has the keyboard focus (Tab): arrows and pages scroll it, `/` searches it, Enter shows the
    /// selected line in full.
    public internal(set) var logFocused = false
    /// The selected line of ``logLines`` while the log is focused.
    public internal(set) var logSelection = 0
    /// The first line of ``logLines`` shown.
    public internal(set) var logScrollOffset = 0
    /// The applied log search (case-insensitive substring); empty shows every line.
    public internal(set) var logSearch = "" {
        didSet { self.refreshLog() }
    }
    /// The log search being typed after `/` in the focused log; `nil` when not typing.
    public internal(set) var logSearchInput: String?
    /// The selected line is shown in full in place of the log (Enter; Enter or Esc again closes it).
    public internal(set) var logExpanded = false
    /// The event log's lines: the snapshot's events folded (``EventFolding``), newest first, those matching
    /// ``logSearch``.
    public internal(set) var logLines: [LogLine] = []

    /// Where the selection was, to land nearby when the selected node disappears.
    var selectedIndexHint = 0
    /// Values asked for but not yet seen in a snapshot, so that quick repeated keys step from them.
    var pendingRate: Double?
    var pendingBalancer: String?
    var pendingPaused: Bool?

    /// Creates a view with nothing to show yet.
    /// - Parameters:
    ///   - configuration: Keys, fault values and the names to cycle through.
    ///   - size: The terminal size at start.
    ///   - themeName: The theme in use at start (for `T` to continue from).
    ///   - sortKey: The initial sort order.
    public init(
        configuration: ViewConfiguration = ViewConfiguration(),
        size: ScreenSize = ScreenSize(width: 80, height: 24),
        themeName: String = "default",
        sortKey: SortKey = .address,
        screen: Screen = .nodes
    ) {
        self.screen = screen
        self.configuration = configuration
        self.snapshot = nil
        self.size = size
        self.now = .zero
        self.sortKey = sortKey
        self.filter = ""
        self.filterInput = nil
        self.showsHelp = false
        self.selectedAddress = nil
        self.scrollOffset = 0
        self.statusMessage = nil
        self.themeName = themeName
    }

    /// The nodes the table lists: the snapshot's nodes that match ``filter``, in ``sortKey`` order. Kept up
    /// to date when the snapshot, the sort order or the filter changes.
    public private(set) var rows: [NodeSnapshot] = []

    private func computeRows() -> [NodeSnapshot] {
        guard let snapshot = self.snapshot else { return [] }
        let needle = self.filter.lowercased()
        func shown(_ nodes: [NodeSnapshot]) -> [NodeSnapshot] {
            needle.isEmpty ? nodes : nodes.filter { $0.address.description.lowercased().contains(needle) }
        }
        // Departed nodes (GONE rows) after the present ones, in the same order; a node listed in both (it
        // rejoined) shows once, as present.
        let present = Set(snapshot.nodes.map(\.address))
        return self.sortKey.sorted(shown(snapshot.nodes))
            + self.sortKey.sorted(shown(snapshot.departed.filter { !present.contains($0.address) }))
    }

    /// The services view's rows: the snapshot's methods matching ``filter``, by name.
    public var serviceRows: [ServiceSummary] {
        guard let services = self.snapshot?.services else { return [] }
        let needle = self.filter.lowercased()
        return needle.isEmpty ? services : services.filter { $0.name.lowercased().contains(needle) }
    }

    /// The selected node's index in ``rows``.
    public var selectedIndex: Int? {
        guard let address = self.selectedAddress else { return nil }
        return self.rows.firstIndex { $0.address == address }
    }

    /// The table's geometry at the current size. Detail lines are shown on screens of 10 rows or more, and
    /// on smaller ones when they fit anyway.
    func tableGeometry(rows: [NodeSnapshot]) -> (layout: ScreenLayout, heights: [Int]) {
        guard self.size.width >= ScreenLayout.minimumDetailWidth else {
            return (ScreenLayout(size: self.size, tableLines: rows.count, showsDetails: false),
                    Array(repeating: 1, count: rows.count))
        }
        let heights = rows.map { Renderer.lineCount(of: $0, details: true) }
        let lines = heights.reduce(0, +)
        let layout = ScreenLayout(size: self.size, tableLines: lines, showsDetails: true)
        if self.size.height >= ScreenLayout.minimumDetailHeight || lines <= layout.tableRows.count {
            return (layout, heights)
        }
        return (ScreenLayout(size: self.size, tableLines: rows.count, showsDetails: false),
                Array(repeating: 1, count: rows.count))
    }
}
