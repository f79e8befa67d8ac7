import KRPCPolicy

extension ViewState {
    /// Applies one event and returns what the wiring layer must do (in order).
    ///
    /// Pure: no I/O, no clock reads. Keys go through ``ViewConfiguration/keyMap`` unless the filter is being
    /// typed (then printable keys edit it, Enter applies, Esc cancels); Ctrl-C always quits.
    /// - Parameter event: A key, mouse action, snapshot, resize, tick, command or message.
    /// - Returns: The effects to execute, in order; often none. Not discardable: a dropped effect is a key
    ///   press lost.
    public mutating func apply(_ event: TopEvent) -> [Effect] {
        switch event {
        case .key(let key):
            return self.handle(key)
        case .mouse(let mouse):
            self.handle(mouse)
            return []
        case .snapshot(let snapshot):
            // A pending value is dropped once the snapshot shows it, or shows the value changed to something
            // else (then the world moved on and the snapshot is the better base).
            let previous = self.snapshot
            if self.pendingRate == snapshot.targetRate || previous?.targetRate != snapshot.targetRate {
                self.pendingRate = nil
            }
            if self.pendingBalancer == snapshot.balancer || previous?.balancer != snapshot.balancer {
                self.pendingBalancer = nil
            }
            if self.pendingPaused == snapshot.paused || previous?.paused != snapshot.paused {
                self.pendingPaused = nil
            }
            self.snapshot = snapshot
            self.reselect()
            self.fixServiceSelection()
            return []
        case .resize(let size):
            self.size = size
            self.reselect()
            self.fixServiceSelection()
            self.fixLogScroll()
            return []
        case .tick(let now):
            self.now = now
            if let message = self.statusMessage, message.expiresAt <= now { self.statusMessage = nil }
            return []
        case .command(let command):
            return self.perform(command)
        case .message(let severity, let text):
            if severity == .error {
                // The effect behind it most likely failed: step from what the snapshot says again.
                self.pendingRate = nil
                self.pendingBalancer = nil
                self.pendingPaused = nil
            }
            self.show(severity, text)
            return []
        }
    }

    // MARK: Keys and mouse

    private mutating func handle(_ key: Key) -> [Effect] {
        if key == .control("c") { return self.perform(.quit) }
        if var input = self.filterInput {
            switch key {
            case .character(let c) where !c.isNewline:
                input.append(c)
                self.filterInput = input
            case .backspace:
                if !input.isEmpty { input.removeLast() }
                self.filterInput = input
            case .control("u"):
                self.filterInput = ""
            case .enter:
                self.filterInput = nil
                self.filter = input.trimmingSpaces()
                self.show(.info, self.filter.isEmpty ? "filter cleared" : "filter '\(self.filter)'")
                self.reselect()
                self.fixServiceSelection()
            case .escape:
                self.filterInput = nil
            default:
                break
            }
            return []
        }
        if self.logFocused, self.screen == .nodes, let effects = self.handleLogKey(key) { return effects }
        guard let command = self.configuration.keyMap.command(for: key) else { return [] }
        return self.perform(command)
    }

    private mutating func handle(_ mouse: MouseEvent) {
        if self.screen == .services {
            switch mouse {
            case .wheelUp: self.moveServiceSelection(by: -1)
            case .wheelDown: self.moveServiceSelection(by: 1)
            case .click(let row, _):
                let layout = self.servicesLayout
                guard layout.tableRows.contains(row), !self.showsHelp else { return }
                let index = self.serviceScrollOffset + row - layout.tableRows.lowerBound
                if index < self.serviceRows.count {
                    self.selectedServiceIndex = index
                    self.fixServiceSelection()
                }
            }
            return
        }
        guard self.screen == .nodes else { return }
        if self.logFocused, self.handleLogMouse(mouse) { return }
        switch mouse {
        case .wheelUp: self.moveSelection(by: -1)
        case .wheelDown: self.moveSelection(by: 1)
        case .click(let row, _):
            let rows = self.rows
            let (layout, heights) = self.tableGeometry(rows: rows)
            guard layout.tableRows.contains(row), !self.showsHelp else { return }
            var line = layout.tableRows.lowerBound
            for index in self.scrollOffset..<rows.count {
                line += heights[index]
                if row < line {
                    self.select(index, in: rows)
                    return
                }
            }
        }
    }

    // MARK: Commands

    private mutating func perform(_ command: Command) -> [Effect] {
        switch command {
        case .quit:
            return [.quit]
        case .selectPrevious: self.move(by: -1)
        case .selectNext: self.move(by: 1)
        case .pageUp: self.move(by: -self.pageSize)
        case .pageDown: self.move(by: self.pageSize)
        case .selectFirst: self.move(by: Int.min / 2)
        case .selectLast: self.move(by: Int.max / 2)
        case .open: return self.open()
        case .injectError: return self.injectFault("error", name: "error")
        case .injectTimeout: return self.injectFault("timeout", name: "timeout")
        case .injectDelay:
            let ms = self.configuration.delayMilliseconds
            return self.injectFault("delay:\(ms)", name: "\(ms) ms delay")
        case .clearFault:
            guard let node = self.faultTarget() else { return [] }
            self.show(.info, "fault cleared on \(node)")
            return [.clearFault(node: node)]
        case .partitionNode: return self.networkFault(partition: true)
        case .healNode: return self.networkFault(partition: false)
        case .increaseRate: return self.stepRate(up: true)
        case .decreaseRate: return self.stepRate(up: false)
        case .togglePause:
            guard let snapshot = self.snapshot, snapshot.hasMethod else { return self.notYet() }
            let paused = !(self.pendingPaused ?? snapshot.paused)
            self.pendingPaused = paused
            self.show(.info, paused ? "load paused" : "load resumed")
            return [.setPaused(paused)]
        case .cycleBalancer:
            guard let snapshot = self.snapshot, snapshot.hasMethod else { return self.notYet() }
            guard let next = Self.next(after: self.pendingBalancer ?? snapshot.balancer,
                                       in: self.configuration.balancers)
            else { return [] }
            self.pendingBalancer = next
            self.show(.info, "balancer \(next)")
            return [.setBalancer(next)]
        case .cycleSort:
            self.sortKey = self.sortKey.next
            self.show(.info, "sorted by \(self.sortKey.rawValue)")
            self.reselect()
        case .beginFilter:
            self.showsHelp = false
            self.filterInput = self.filter
        case .cycleTheme:
            guard let next = Self.next(after: self.themeName, in: self.configuration.themes) else { return [] }
            self.themeName = next
            self.show(.info, "theme \(next)")
            return [.setTheme(next)]
        case .toggleHelp:
            self.showsHelp.toggle()
            self.helpScrollOffset = 0
        case .toggleLogFocus:
            // The log pane is the node view's.
            if self.screen == .nodes { self.toggleLogFocus() }
        case .dismiss:
            if self.showsHelp {
                self.showsHelp = false
            } else if !self.filter.isEmpty {
                self.filter = ""
                self.show(.info, "filter cleared")
                self.reselect()
                self.fixServiceSelection()
            } else {
                return self.back()
            }
        }
        return []
    }

    private var pageSize: Int {
        if self.screen == .services { return max(1, self.servicesLayout.tableRows.count - 1) }
        return max(1, self.tableGeometry(rows: self.rows).layout.tableRows.count - 1)
    }

    // MARK: Screens

    /// Moves the selection of the screen shown (the detail screen has none).
    private mutating func move(by delta: Int) {
        if self.showsHelp {
            self.helpScrollOffset = min(max(0, self.helpScrollOffset + max(-200, min(200, delta))), 200)
            return
        }
        switch self.screen {
        case .services: self.moveServiceSelection(by: delta)
        case .nodes: self.moveSelection(by: delta)
        case .detail: self.detailScrollOffset = min(max(0, self.detailScrollOffset + max(-200, min(200, delta))), 200)
        }
    }

    /// Enter: the selected method's nodes (the client stack then calls it), or the selected node's detail.
    private mutating func open() -> [Effect] {
        switch self.screen {
        case .services:
            let rows = self.serviceRows
            guard rows.indices.contains(self.selectedServiceIndex) else {
                self.show(.warning, "no method selected")
                return []
            }
            let target = rows[self.selectedServiceIndex]
            self.screen = .nodes
            self.filter = ""
            self.showsHelp = false
            if self.snapshot?.service != target.service || self.snapshot?.method != target.method {
                // Another method: its nodes replace these with the next snapshot.
                self.selectedAddress = nil
                self.selectedIndexHint = 0
                self.scrollOffset = 0
            } else {
                // The same method: its rows are here already (unfiltered now), so a node is selected at once, not
                // only with the next snapshot (a key pressed meanwhile would find none).
                self.reselect()
            }
            self.show(.info, "calling \(target.name)")
            return [.openMethod(service: target.service, method: target.method)]
        case .nodes:
            guard let index = self.selectedIndex else {
                self.show(.warning, "no node selected")
                return []
            }
            let address = self.rows[index].address
            self.screen = .detail
            self.detailAddress = address
            self.detailScrollOffset = 0
            self.showsHelp = false
            return [.watchDetail(address)]
        case .detail:
            return []
        }
    }

    /// Esc or ←: detail → nodes → services.
    private mutating func back() -> [Effect] {
        switch self.screen {
        case .detail:
            self.screen = .nodes
            self.detailAddress = nil
            return [.watchDetail(nil)]
        case .nodes:
            self.screen = .services
            self.fixServiceSelection()
            return []
        case .services:
            return []
        }
    }

    private mutating func moveServiceSelection(by delta: Int) {
        let count = self.serviceRows.count
        guard count > 0 else { return }
        let current = min(self.selectedServiceIndex, count - 1)
        self.selectedServiceIndex = delta >= 0
            ? (current > count - 1 - delta ? count - 1 : current + delta)
            : (current < -delta ? 0 : current + delta)
        self.fixServiceSelection()
    }

    /// Keeps the services view's selection on a row and visible.
    mutating func fixServiceSelection() {
        let count = self.serviceRows.count
        self.selectedServiceIndex = count == 0 ? 0 : min(max(0, self.selectedServiceIndex), count - 1)
        let viewport = self.servicesLayout.tableRows.count
        guard viewport > 0, count > 0 else {
            self.serviceScrollOffset = 0
            return
        }
        var offset = min(self.serviceScrollOffset, max(0, count - viewport))
        if self.selectedServiceIndex < offset { offset = self.selectedServiceIndex }
        if self.selectedServiceIndex >= offset + viewport { offset = self.selectedServiceIndex - viewport + 1 }
        self.serviceScrollOffset = max(0, offset)
    }

    private mutating func notYet() -> [Effect] {
        if let snapshot = self.snapshot, !snapshot.hasMethod {
            self.show(.warning, "no method called yet: Enter calls the selected one")
            return []
        }
        self.show(.warning, "no data from the client yet")
        return []
    }

    /// The selected node, if fault keys may act on it; otherwise shows why not and returns `nil`.
    /// The node a node action is for: the selected row, or on the detail screen the node it is about; `nil` (and
    /// a message) when there is none.
    private mutating func targetRow() -> (NodeSnapshot, DashboardSnapshot)? {
        if self.screen == .services {
            self.show(.warning, "no node selected: Enter opens the selected method's nodes")
            return nil
        }
        // On the detail screen, the node it is about.
        let index = self.screen == .detail
            ? self.detailAddress.flatMap { address in self.rows.firstIndex { $0.address == address } }
            : self.selectedIndex
        guard let snapshot = self.snapshot, let index else {
            self.show(.warning, "no node selected")
            return nil
        }
        return (self.rows[index], snapshot)
    }

    /// `p` and `h`: in the demo's hosts mode, partition the node from this client's host or heal it; elsewhere a
    /// message that says what they need. The outcome comes back as a message when the script has run.
    private mutating func networkFault(partition: Bool) -> [Effect] {
        guard let host = self.configuration.partitionHost else {
            self.show(.warning, "p and h partition and heal a node in the demo's hosts mode (demo-cluster/run --hosts)")
            return []
        }
        guard let (node, _) = self.targetRow() else { return [] }
        let address = node.address
        if partition {
            self.show(.info, "partitioning \(address) from host \(host)…")
            return [.partition(node: address)]
        }
        self.show(.info, "healing \(address) for host \(host)…")
        return [.heal(node: address)]
    }

    private mutating func faultTarget() -> NodeAddress? {
        guard let (node, snapshot) = self.targetRow() else { return nil }
        if node.acceptsFaults == false {
            self.show(.warning, "fault keys are ignored: servers run without --allow-fault-injection")
            return nil
        }
        switch snapshot.redis {
        case .disabled:
            self.show(.warning, "fault keys need Redis: krpc-top runs without --redis")
            return nil
        case .disconnected, .expired, .connecting:
            self.show(.warning, "fault keys need Redis: redis is \(snapshot.redis.jsonName)")
            return nil
        case .connected, .unknown:
            return node.address
        }
    }

    private mutating func injectFault(_ value: String, name: String) -> [Effect] {
        guard let node = self.faultTarget() else { return [] }
        let ttl = self.configuration.faultTTL
        self.show(.info, "\(name) injected on \(node) (ttl \(Format.countdown(ttl)))")
        return [.setFault(node: node, value: value, ttl: ttl)]
    }

    private mutating func stepRate(up: Bool) -> [Effect] {
        guard let snapshot = self.snapshot, snapshot.hasMethod else { return self.notYet() }
        let current = self.pendingRate ?? snapshot.targetRate
        let steps = self.configuration.rateSteps.sorted()
        let next = up ? steps.first { $0 > current * 1.0001 } : steps.last { $0 < current * 0.9999 }
        guard let next else {
            self.show(.warning, "rate \(Format.rate(current))/s is the \(up ? "highest" : "lowest") step")
            return []
        }
        self.pendingRate = next
        self.show(.info, "rate \(Format.rate(next))/s")
        return [.setRate(next)]
    }

    private static func next(after current: String, in names: [String]) -> String? {
        guard !names.isEmpty else { return nil }
        guard let i = names.firstIndex(of: current) else { return names[0] }
        return names[(i + 1) % names.count]
    }

    mutating func show(_ severity: StatusMessage.Severity, _ text: String) {
        self.statusMessage = StatusMessage(severity, text, expiresAt: self.now + self.configuration.messageDuration)
    }

    // MARK: Selection and scrolling

    private mutating func moveSelection(by delta: Int) {
        let rows = self.rows
        guard !rows.isEmpty else { return }
        let current = self.selectedIndex ?? min(self.selectedIndexHint, rows.count - 1)
        let target = delta >= 0
            ? (current > rows.count - 1 - delta ? rows.count - 1 : current + delta)
            : (current < -delta ? 0 : current + delta)
        self.select(target, in: rows)
    }

    private mutating func select(_ index: Int, in rows: [NodeSnapshot]) {
        self.selectedAddress = rows[index].address
        self.selectedIndexHint = index
        self.fixScroll(rows: rows, selected: index)
    }

    /// Keeps the selected address if it is still listed, else selects the node now at its old position.
    mutating func reselect() {
        let rows = self.rows
        guard !rows.isEmpty else {
            self.selectedAddress = nil
            self.scrollOffset = 0
            return
        }
        if let address = self.selectedAddress, let index = rows.firstIndex(where: { $0.address == address }) {
            self.selectedIndexHint = index
        } else {
            self.selectedIndexHint = min(self.selectedIndexHint, rows.count - 1)
            self.selectedAddress = rows[self.selectedIndexHint].address
        }
        self.fixScroll(rows: rows, selected: self.selectedIndexHint)
    }

    private mutating func fixScroll(rows: [NodeSnapshot], selected: Int) {
        let (layout, heights) = self.tableGeometry(rows: rows)
        self.scrollOffset = TableScroll.offset(
            current: self.scrollOffset, selected: selected, heights: heights, viewport: layout.tableRows.count)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
