extension Renderer {
    /// The services view: the header, one row per `<Service>.<Method>` of the registry, the cluster graphs when
    /// the height allows.
    static func drawServices(_ view: ViewState, glyphs: Glyphs, into buffer: inout ScreenBuffer) {
        let rows = view.serviceRows
        let layout = view.servicesLayout
        if let snapshot = view.snapshot {
            Self.drawServicesHeader(snapshot, rows: layout.headerRows, glyphs: glyphs, into: &buffer)
        } else if let row = layout.headerRows.first {
            Self.drawFlow([Segment([("krpc-top", .title)], 10), Segment([("waiting for the registry…", .dim)], 5)],
                          row: row, glyphs: glyphs, into: &buffer)
        }
        let nameWidth = rows.reduce(ServiceColumnID.name.width) { max($0, DisplayWidth.of($1.name)) }
        let columns = Self.serviceColumns(
            width: buffer.width, nameWidth: nameWidth, fleet: rows.contains { $0.fleet != nil })
        if let row = layout.tableHeaderRow {
            buffer.fill(row: row, style: .tableHeader)
            for (id, start, width) in columns {
                let title = String(id.title.prefix(width))
                let column = id == .name ? start : start + width - title.count
                buffer.write(title, row: row, column: column, style: .tableHeader, limit: start + width)
            }
        }
        if !layout.tableRows.isEmpty && rows.isEmpty {
            let text: String
            if let problem = view.snapshot?.servicesProblem {
                text = problem
            } else if view.snapshot == nil {
                text = "waiting for the registry"
            } else if !view.filter.isEmpty {
                text = "no method matches '\(DisplayWidth.sanitized(view.filter))' (Esc clears the filter)"
            } else {
                text = "no methods registered"
            }
            Self.drawSpans([(DisplayWidth.sanitized(text), .dim)], row: layout.tableRows.lowerBound, column: 1,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
        }
        let watched = view.snapshot.map { "\($0.service).\($0.method)" }
        for (line, index) in zip(layout.tableRows, view.serviceScrollOffset..<rows.count) {
            let row = rows[index]
            let selected = index == view.selectedServiceIndex
            if selected {
                buffer.fill(row: line, style: .text, selected: true)
                buffer.write(String(glyphs.marker), row: line, column: 0, style: .text, selected: true)
            }
            for (id, start, width) in columns {
                func cell(_ text: String, _ style: ThemeKey) {
                    let text = DisplayWidth.truncated(text, to: width, ellipsis: glyphs.ellipsis)
                    let column = id == .name ? start : start + width - DisplayWidth.of(text)
                    buffer.write(text, row: line, column: column, style: style, selected: selected,
                                 limit: start + width)
                }
                switch id {
                case .name:
                    cell(DisplayWidth.sanitized(row.name), row.name == watched ? .title : .text)
                case .registered:
                    cell(Format.count(row.registered), row.registered == 0 ? .warning : .text)
                case .healthy:
                    let style: ThemeKey = row.seenHealthy.map { $0 < row.registered ? .warning : .healthy } ?? .dim
                    cell(row.seenHealthy.map(Format.count) ?? "-", style)
                case .fleet:
                    if let fleet = row.fleet, fleet.isKnown, let worst = fleet.worst {
                        cell(fleet.cell(ascii: glyphs.ascii), worst.themeKey)
                    } else {
                        cell("-", .dim)
                    }
                case .rate:
                    cell(row.callRate.map(Format.rate) ?? "-", .text)
                case .errorPercent:
                    cell(Format.percent(row.errorPercent), Self.errorSeverity(row.errorPercent))
                case .redisCalls:
                    cell(row.redisCalls.map(Format.count) ?? "-", .dim)
                case .redisErrors:
                    cell(row.redisErrors.map(Format.count) ?? "-", .dim)
                }
            }
        }
        if !layout.graphRows.isEmpty, let snapshot = view.snapshot {
            Self.drawClusterGraphs(snapshot.history, rows: layout.graphRows, glyphs: glyphs, into: &buffer)
        }
    }

    /// The columns that fit `width`: (id, first cell, width). The name takes what the others leave; FLEET only
    /// with `fleet` (some row has fleet figures).
    static func serviceColumns(width: Int, nameWidth: Int, fleet: Bool = false) -> [(ServiceColumnID, Int, Int)] {
        let nameNeed = min(nameWidth, 48)
        var chosen: [ServiceColumnID] = []
        var used = 1 + min(nameNeed, ServiceColumnID.name.width)
        for id in ServiceColumnID.byPriority where id != .fleet || fleet {
            guard used + 1 + id.width <= width else { break }
            chosen.append(id)
            used += 1 + id.width
        }
        let name = max(0, min(nameNeed, width - 1 - (used - 1 - min(nameNeed, ServiceColumnID.name.width))))
        var result: [(ServiceColumnID, Int, Int)] = [(.name, 1, name)]
        var start = 1 + name
        for id in ServiceColumnID.allCases where chosen.contains(id) {
            start += 1
            result.append((id, start, id.width))
            start += id.width
        }
        return result
    }

    /// `krpc-top  services 3 methods · 9 nodes  watching UserServiceRpc.Login  zk connected  redis connected`
    static func drawServicesHeader(
        _ s: DashboardSnapshot, rows: Range<Int>, glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        guard let first = rows.first else { return }
        let nodes = s.services.reduce(0) { $0 + $1.registered }
        let rate = s.services.reduce(0.0) { $0 + ($1.callRate ?? 0) }
        let a: [Segment] = [
            Segment([("krpc-top", .title)], 10),
            Segment([("services ", .dim), (Format.count(s.services.count), .text), (" methods", .dim),
                     (glyphs.separator, .dim), (Format.count(nodes), .text), (" nodes", .dim)], 90),
            Segment([("calls ", .dim), (Format.rate(rate), .text), ("/s", .dim)], 60),
            Segment([("window ", .dim), (Format.countdown(s.windowLength), .text)], 5),
        ]
        var zk: [Span] = [("zk ", .dim), (s.zookeeper.jsonName, s.zookeeper.themeKey)]
        if let timeout = s.zookeeperSessionTimeout {
            zk.append((" (" + Format.countdown(timeout) + ")", .dim))
        }
        let watching: Segment = s.hasMethod
            ? Segment([("calling ", .dim), (DisplayWidth.sanitized("\(s.service).\(s.method)"), .text)], 70)
            : Segment([("Enter calls the selected method", .dim)], 70)
        let b: [Segment] = [
            watching,
            Segment(zk, 80),
            Segment([("redis ", .dim), (s.redis.jsonName, s.redis.themeKey)], 75),
        ]
        if rows.count >= 2 {
            Self.drawFlow(a, row: first, glyphs: glyphs, into: &buffer)
            Self.drawFlow(b, row: first + 1, glyphs: glyphs, into: &buffer)
        } else {
            Self.drawFlow(a + b, row: first, glyphs: glyphs, into: &buffer)
        }
    }
}
