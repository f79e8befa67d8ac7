import KRPCPolicy

extension Renderer {
    /// Width of the labels in the left column of the node detail.
    static let detailLabelWidth = 10

    /// The node detail: the header, a title line, then the node's story as labelled lines (scrolled with ↑/↓
    /// when it does not fit), above the status bar.
    static func drawDetail(_ view: ViewState, glyphs: Glyphs, into buffer: inout ScreenBuffer) {
        let layout = ScreenLayout(size: view.size, tableLines: 1, showsDetails: false)
        if let snapshot = view.snapshot {
            Self.drawHeader(snapshot, rows: layout.headerRows, glyphs: glyphs, into: &buffer)
        }
        var row = layout.headerRows.upperBound
        let end = layout.statusRow ?? buffer.height
        guard row < end, let address = view.detailAddress else { return }
        // Title: `── 127.0.0.1:8001 ─ UserServiceRpc.Login ──`
        let call = view.snapshot.map { " \($0.service).\($0.method) " } ?? ""
        let line = String(glyphs.horizontal)
        var col = buffer.write(line + " ", row: row, column: 0, style: .border)
        col = buffer.write(DisplayWidth.sanitized(address.description), row: row, column: col, style: .title)
        col = buffer.write(" " + line, row: row, column: col, style: .border)
        col = buffer.write(DisplayWidth.sanitized(call), row: row, column: col, style: .dim)
        buffer.write(String(repeating: line, count: max(0, buffer.width - col)), row: row, column: col,
                     style: .border)
        row += 1
        let node = view.rows.first { $0.address == address }
        let lines = Self.detailLines(node: node, address: address, snapshot: view.snapshot, width: buffer.width,
                                     glyphs: glyphs)
        let offset = min(view.detailScrollOffset, max(0, lines.count - (end - row)))
        for spans in lines.dropFirst(offset) where row < end {
            Self.drawSpans(spans, row: row, column: 1, limit: buffer.width, glyphs: glyphs, into: &buffer)
            row += 1
        }
    }

    /// The node's story, one ``Span`` list per screen line, each starting with its label (or blanks under it).
    static func detailLines(
        node: NodeSnapshot?, address: NodeAddress, snapshot: DashboardSnapshot?, width: Int, glyphs: Glyphs
    ) -> [[Span]] {
        let labelWidth = Self.detailLabelWidth
        let textWidth = max(8, width - 2 - labelWidth)
        let detail = snapshot?.detail?.address == address ? snapshot?.detail : nil
        let sep: Span = (glyphs.separator, .dim)
        var out: [[Span]] = []
        func label(_ text: String) -> Span {
            (text + String(repeating: " ", count: max(1, labelWidth - DisplayWidth.of(text))), .dim)
        }
        let blank: Span = (String(repeating: " ", count: labelWidth), .dim)
        func add(_ name: String, _ spans: [Span]) { out.append([label(name)] + spans) }
        func addWrapped(_ name: String, _ text: String, _ style: ThemeKey) {
            for (i, piece) in Self.wrap(DisplayWidth.sanitized(text), width: textWidth).enumerated() {
                out.append([i == 0 ? label(name) : blank, (piece, style)])
            }
        }
        let utc = snapshot?.utcOffsetSeconds ?? 0

        guard let node else {
            add("State", [("not listed by the client", .dim)])
            return out
        }
        // State and episode.
        var state: [Span]
        if let gone = node.departedFor {
            state = [("GONE", .dim), (" left the registry ", .dim), (Format.age(gone), .text), (" ago", .dim)]
        } else {
            state = [(String(node.state.glyph(ascii: glyphs.ascii)) + " " + node.state.word, node.state.themeKey),
                     (" for ", .dim), (Format.countdown(node.age), .text)]
            if node.timeInEpisode != nil && node.state != .healthy {
                state += [(" (this state ", .dim), (Format.countdown(node.timeInState), .text), (")", .dim)]
            }
        }
        add("State", state)
        // The breaker's progress: next probe, the cool-down it is in, how often it opened.
        var probing: [[Span]] = []
        if node.state != .healthy, !node.isDeparted, let probe = Self.probeSpans(node, next: "next probe in ") {
            probing.append(probe)
        }
        if let cooldown = detail?.currentCooldown, node.state != .healthy {
            probing.append([("cool-down ", .dim), (Format.countdown(cooldown), .text)])
        }
        if let trips = detail?.tripCount, trips > 0 {
            probing.append([("opened ", .dim), ("\(trips)", .text), (trips == 1 ? " time" : " times", .dim)])
        }
        if !probing.isEmpty {
            add("Probing", Array(probing.enumerated().map { $0.offset == 0 ? $0.element : [sep] + $0.element }.joined()))
        }
        // Timeline: one cell per second, newest at the right.
        if let timeline = detail?.timeline, !timeline.states.isEmpty {
            let cells = max(1, textWidth - 6)
            var spans: [Span] = []
            for s in timeline.states.suffix(cells) {
                guard let s else {
                    spans.append((" ", .dim))
                    continue
                }
                let glyph: String
                switch s {
                case .healthy: glyph = glyphs.ascii ? "_" : "▁"
                case .halfOpen: glyph = glyphs.ascii ? "~" : "▄"
                case .broken: glyph = glyphs.ascii ? "#" : "█"
                }
                spans.append((glyph, s.themeKey))
            }
            add("Timeline", [("-" + Format.age(.seconds(min(cells, timeline.states.count))) + " ", .dim)]
                + spans + [(" now", .dim)])
        }
        if let breaker = detail?.breaker {
            var text = "opens after \(breaker.failureThreshold) failures in a row"
            if let rate = breaker.failureRate { text += " or \(rate)" }
            text += "; cool-down \(Format.countdown(breaker.cooldownInitial))…"
                + Format.countdown(breaker.cooldownMax)
            text += breaker.probeInterval.map { "; probe every \(Format.countdown($0))" } ?? "; no probes"
            addWrapped("Breaker", text, .text)
        }
        if let reason = node.reason, node.state != .healthy {
            addWrapped("Reason", reason, .reason)
        }
        if let fleet = node.fleet, !node.isDeparted {
            out += Self.fleetLines(fleet, label: label("Fleet"), blank: blank, textWidth: textWidth, glyphs: glyphs)
        }
        if let failures = detail?.failures, !failures.isEmpty {
            for (i, failure) in failures.prefix(5).enumerated() {
                var spans: [Span] = [(Format.clock(failure.time, utcOffsetSeconds: utc) + " ", .dim),
                                     (DisplayWidth.sanitized(failure.message), .reason)]
                if failure.count > 1 { spans.append((" ×\(failure.count)", .dim)) }
                out.append([i == 0 ? label("Failures") : blank] + spans)
            }
        }
        // Counts: the window, then since start.
        let w = node.window
        add("Window", [(Format.countdown(w.length), .text), (": calls ", .dim), (Format.count(w.calls), .text),
                       (" errors ", .dim), (Format.count(w.errors), .text), (" timeouts ", .dim),
                       (Format.count(w.timeouts), .text), (" err ", .dim),
                       (Format.percent(w.errorPercent), Self.errorSeverity(w.errorPercent))])
        add("Total", [("calls ", .dim), (Format.count(node.calls), .text), (" errors ", .dim),
                      (Format.count(node.errors), .text), (" timeouts ", .dim), (Format.count(node.timeouts), .text),
                      (" err ", .dim), (Format.percent(node.errorPercent), .text)])
        func lat(_ v: Int?) -> String { Format.latency(v, ascii: glyphs.ascii) }
        add("Latency", [("p50 ", .dim), (lat(w.p50Microseconds), .text), (" p90 ", .dim),
                        (lat(w.p90Microseconds), .text),
                        (" p99 ", .dim), (lat(w.p99Microseconds), .text), (" p99.9 ", .dim),
                        (lat(w.p999Microseconds), .text), (" max ", .dim), (lat(w.maxMicroseconds), .text)])
        let bins = w.latencyBins.filter { $0.count > 0 }
        if let top = bins.map(\.count).max(), top > 0 {
            let levels = glyphs.sparkLevels
            var spans: [Span] = []
            for bin in bins {
                let atMost = glyphs.ascii ? "<=" : "≤"
                let bound = bin.upperMicroseconds.map { atMost + lat($0) } ?? ">" + lat(WindowFigures.binBounds.last)
                let level = min(levels.count, max(1, (bin.count * levels.count + top - 1) / top)) - 1
                spans += [(bound + " ", .dim),
                          (String(levels[level]), .sparkMid), (" \(Format.count(bin.count))  ", .text)]
            }
            add("Histogram", spans)
        }
        // Redis and the fault key.
        add("Redis", [("calls ", .dim), (node.redisCalls.map(Format.count) ?? "-", .text), (" rate ", .dim),
                      (node.redisCallRate.map(Format.rate) ?? "-", .text), ("/s", .dim)])
        if let value = detail?.faultValue ?? node.fault {
            var spans: [Span] = [(DisplayWidth.sanitized(value), .fault)]
            if let ttl = detail?.faultTTL { spans += [(" expires in ", .dim), (Format.countdown(ttl), .text)] }
            add("Fault", spans)
        } else {
            add("Fault", [("none", .dim)])
        }
        // ZooKeeper leaf.
        if let leaf = detail?.leaf {
            let live: Span
            switch leaf.sessionLive {
            case true?: live = ("live", .ok)
            case false?: live = ("not answering (ends when the session expires)", .warning)
            case nil: live = ("?", .dim)
            }
            add("ZooKeeper", [(DisplayWidth.sanitized(leaf.path), .text)])
            out.append([blank, ("session ", .dim), (Self.hex(leaf.ephemeralOwner), .text), (" ", .dim), live,
                        sep, ("created ", .dim),
                        (Format.clock(Double(leaf.createdAtMilliseconds) / 1000, utcOffsetSeconds: utc), .text)])
            if !leaf.data.isEmpty {
                for piece in Self.wrap(DisplayWidth.sanitized(leaf.data), width: textWidth) {
                    out.append([blank, (piece, .dim)])
                }
            }
        } else if let error = detail?.leafError {
            addWrapped("ZooKeeper", error, .warning)
        } else {
            add("ZooKeeper", [(detail == nil ? "reading…" : "-", .dim)])
        }
        // The server's own view.
        if let server = detail?.server {
            add("Server", [("up ", .dim), (Format.countdown(server.uptime), .text), (" in flight ", .dim),
                           (Format.count(server.inFlight), .text)])
            for method in server.methods {
                out.append([blank, (DisplayWidth.sanitized(method.name), .text), (" calls ", .dim),
                            (Format.count(method.calls), .text), (" errors ", .dim),
                            (Format.count(method.errors), .text), (" in flight ", .dim),
                            (Format.count(method.inFlight), .text)])
            }
        } else if let error = detail?.serverError {
            addWrapped("Server", error, .warning)
        } else {
            add("Server", [(detail == nil ? "reading…" : "-", .dim)])
        }
        return out
    }

    /// How every live client sees the node: a summary line, then one line per client (this one first) with its
    /// state, host, name/pid, error %, p99, time in state and its view's age (`this client` for this one, whose
    /// view is live), and its reason below it when
    /// it sees the node failing. Hosts and names are padded to the widest, so the figures line up.
    static func fleetLines(_ fleet: FleetFigures, label: Span, blank: Span, textWidth: Int, glyphs: Glyphs)
        -> [[Span]]
    {
        guard fleet.isKnown else { return [[label, ("not read: Redis does not answer", .warning)]] }
        let sep: Span = (glyphs.separator, .dim)
        var summary: [Span] = [("\(fleet.healthy)/\(fleet.clients)", fleet.worst.themeKey),
                               (fleet.clients == 1 ? " client sees it healthy" : " clients see it healthy", .dim)]
        for (count, state) in [(fleet.halfOpen, NodeState.halfOpen), (fleet.broken, .broken)] where count > 0 {
            summary += [sep, ("\(count) ", state.themeKey), (state.word.lowercased(), state.themeKey)]
        }
        if fleet.brokenHereOnly { summary += [sep, (Self.brokenHereOnly, .broken)] }
        var out: [[Span]] = [[label] + summary]
        let hosts = fleet.entries.map { DisplayWidth.sanitized($0.host) }
        let names = fleet.entries.map { DisplayWidth.sanitized($0.nameAndPid) }
        let hostWidth = min(16, hosts.map { DisplayWidth.of($0) }.max() ?? 0)
        let nameWidth = min(24, names.map { DisplayWidth.of($0) }.max() ?? 0)
        let stateWidth = fleet.entries.map { DisplayWidth.of($0.state.word) }.max() ?? 0
        func padded(_ text: String, _ width: Int) -> String {
            let cut = DisplayWidth.truncated(text, to: width, ellipsis: glyphs.ellipsis)
            return cut + String(repeating: " ", count: max(0, width - DisplayWidth.of(cut)))
        }
        for (i, entry) in fleet.entries.enumerated() {
            var spans: [Span] = [
                (String(entry.state.glyph(ascii: glyphs.ascii)) + " " + padded(entry.state.word, stateWidth) + " ",
                 entry.state.themeKey),
                (padded(hosts[i], hostWidth) + " ", entry.isSelf ? .title : .text),
                (padded(names[i], nameWidth) + " ", .dim),
                ("err ", .dim), (Format.percent(entry.errorPercent), Self.errorSeverity(entry.errorPercent)),
                (" p99 ", .dim), (Format.latency(entry.p99Microseconds, ascii: glyphs.ascii), .text),
            ]
            if let time = entry.timeInState { spans += [(" for ", .dim), (Format.countdown(time), .text)] }
            if entry.isSelf {
                spans.append((" this client", .title))
            } else if let age = entry.viewAge {
                spans += [(" age ", .dim), (Format.countdown(age), .text)]
            }
            out.append([blank] + spans)
            if let reason = entry.reason, entry.state != .healthy {
                let indent = "  "
                for piece in Self.wrap(DisplayWidth.sanitized(reason), width: max(4, textWidth - indent.count)) {
                    out.append([blank, (indent + piece, .reason)])
                }
            }
        }
        return out
    }

    /// `0x1000123abc` (a ZooKeeper session id as `zkCli` prints it).
    static func hex(_ value: Int64) -> String {
        "0x" + String(UInt64(bitPattern: value), radix: 16)
    }
}
