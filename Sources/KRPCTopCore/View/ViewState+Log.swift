/// The event log as a pane: focus (Tab), scrolling, search and the full text of one line.
extension ViewState {
    /// Rebuilds ``logLines`` from the snapshot's events and the search, keeping the selected line where it can.
    mutating func refreshLog() {
        let selected = self.logLines.indices.contains(self.logSelection) ? self.logLines[self.logSelection] : nil
        let events = (self.snapshot?.events ?? []).enumerated()
            .sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset < $1.offset }
            .map(\.element)
        var lines = EventFolding.lines(events)
        let needle = self.logSearch.lowercased()
        if !needle.isEmpty {
            let offset = self.snapshot?.utcOffsetSeconds ?? 0
            lines = lines.filter { Renderer.logText(of: $0, utcOffset: offset).lowercased().contains(needle) }
        }
        self.logLines = lines
        if let selected, self.logFocused {
            // The same line (same subject, same oldest event), wherever it moved to.
            if let index = lines.firstIndex(where: { $0.node == selected.node && $0.since == selected.since }) {
                self.logSelection = index
            }
        }
        self.logSelection = lines.isEmpty ? 0 : min(self.logSelection, lines.count - 1)
        if !self.logFocused { self.logSelection = 0 }
        self.fixLogScroll()
        if lines.isEmpty { self.logExpanded = false }
    }

    /// Tab: focus the log, or give the focus back to the table.
    mutating func toggleLogFocus() {
        self.logFocused.toggle()
        self.logExpanded = false
        self.logSearchInput = nil
        if self.logFocused {
            self.showsHelp = false
            self.logSelection = 0
            self.logScrollOffset = 0
        }
        // No status message: it would hide the focused log's key hints, which say the same.
        self.statusMessage = nil
    }

    /// Keys while the log is focused; `nil` for keys it leaves to the key map (quit, faults, Tab, …).
    mutating func handleLogKey(_ key: Key) -> [Effect]? {
        if var input = self.logSearchInput {
            switch key {
            case .character(let c) where !c.isNewline:
                input.append(c)
                self.logSearchInput = input
            case .backspace:
                if !input.isEmpty { input.removeLast() }
                self.logSearchInput = input
            case .control("u"):
                self.logSearchInput = ""
            case .enter:
                self.logSearchInput = nil
                self.logSelection = 0
                self.logSearch = input.trimmingSpaces()
                self.show(.info, self.logSearch.isEmpty
                    ? "log search cleared" : "log lines with '\(self.logSearch)': \(self.logLines.count)")
            case .escape:
                self.logSearchInput = nil
            default:
                break
            }
            return []
        }
        switch key {
        case .up, .character("k"): self.moveLogSelection(by: -1)
        case .down, .character("j"): self.moveLogSelection(by: 1)
        case .pageUp: self.moveLogSelection(by: -self.logPageSize)
        case .pageDown: self.moveLogSelection(by: self.logPageSize)
        case .home, .character("g"): self.moveLogSelection(by: Int.min / 2)
        case .end, .character("G"): self.moveLogSelection(by: Int.max / 2)
        case .character("/"):
            self.logExpanded = false
            self.logSearchInput = self.logSearch
        case .enter:
            self.logExpanded = !self.logExpanded && !self.logLines.isEmpty
        case .escape:
            if self.logExpanded {
                self.logExpanded = false
            } else if !self.logSearch.isEmpty {
                self.logSearch = ""
                self.show(.info, "log search cleared")
            } else {
                self.toggleLogFocus()
            }
        default:
            return nil
        }
        return []
    }

    /// The wheel scrolls the focused log.
    mutating func handleLogMouse(_ mouse: MouseEvent) -> Bool {
        switch mouse {
        case .wheelUp: self.moveLogSelection(by: -1)
        case .wheelDown: self.moveLogSelection(by: 1)
        case .click: return false
        }
        return true
    }

    /// Log lines on screen now.
    var logViewport: Int {
        self.tableGeometry(rows: self.rows).layout.logRows.count
    }

    private var logPageSize: Int { max(1, self.logViewport - 1) }

    private mutating func moveLogSelection(by delta: Int) {
        guard !self.logLines.isEmpty else { return }
        let last = self.logLines.count - 1
        let current = min(self.logSelection, last)
        self.logSelection = delta >= 0
            ? (current > last - delta ? last : current + delta)
            : (current < -delta ? 0 : current + delta)
        self.fixLogScroll()
    }

    /// Keeps the selected line visible and no rows wasted below the last line.
    mutating func fixLogScroll() {
        let viewport = self.logViewport
        guard viewport > 0, !self.logLines.isEmpty else {
            self.logScrollOffset = 0
            return
        }
        var offset = min(self.logScrollOffset, max(0, self.logLines.count - viewport))
        if self.logSelection < offset { offset = self.logSelection }
        if self.logSelection >= offset + viewport { offset = self.logSelection - viewport + 1 }
        self.logScrollOffset = max(0, offset)
    }
}
