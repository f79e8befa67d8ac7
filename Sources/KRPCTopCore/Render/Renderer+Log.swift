import KRPCPolicy

extension Renderer {
    /// The event log: a title line, then events newest first.
    static func drawLog(_ snapshot: DashboardSnapshot?, layout: ScreenLayout, glyphs: Glyphs,
                        into buffer: inout ScreenBuffer) {
        guard let titleRow = layout.logTitleRow else { return }
        let events = (snapshot?.events ?? []).enumerated()
            .sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset < $1.offset }
            .map(\.element)
        let line = String(glyphs.horizontal)
        buffer.write(line + " ", row: titleRow, column: 0, style: .border)
        var col = buffer.write("events", row: titleRow, column: 2, style: .title)
        col = buffer.write(" " + String(repeating: line, count: max(0, buffer.width - col - 1)), row: titleRow,
                           column: col, style: .border)
        guard !events.isEmpty else {
            Self.drawSpans([("no events yet", .dim)], row: layout.logRows.lowerBound, column: 1, limit: buffer.width,
                           glyphs: glyphs, into: &buffer)
            return
        }
        let offset = snapshot?.utcOffsetSeconds ?? 0
        for (row, line) in zip(layout.logRows, Self.logLines(events)) {
            Self.drawSpans(Self.logSpans(line, utcOffset: offset, glyphs: glyphs), row: row, column: 1,
                           limit: buffer.width, glyphs: glyphs, into: &buffer)
        }
    }

    /// One line of the event log: an event, or a run of identical breaker cycles of one node.
    struct LogLine: Equatable {
        /// The newest event of the line.
        var event: DashboardEvent
        /// How many identical cycles (a transition and the one before it, e.g. BROKEN → HALF-OPEN
        /// "cool-down over" then HALF-OPEN → BROKEN "health probe failed") the line stands for; 1 = a plain event.
        var cycles: Int = 1
        /// The time of the oldest event the line stands for.
        var since: Double
    }

    /// The events (newest first) as log lines: a node whose breaker goes round the same two transitions again
    /// and again (a persistent fault probed every cool-down) takes one line with a count, not two lines per
    /// cool-down, so the rest of the log stays on screen. A run is the node's own events in a row: other nodes'
    /// events in between do not break it (two flapping nodes take a line each), any other event of the same
    /// node does (a fault set or cleared stays visible in its place). The line sits where the run's newest
    /// event is; every other event keeps its own line, and the `--once` report keeps every event.
    static func logLines(_ events: [DashboardEvent]) -> [LogLine] {
        func isCycle(_ newer: DashboardEvent, _ older: DashboardEvent) -> Bool {
            guard case .transition(let a, let b) = newer.kind, case .transition(let c, let d) = older.kind
            else { return false }
            return a == d && b == c && a != b
        }
        func sameCycle(_ n1: DashboardEvent, _ o1: DashboardEvent, _ n2: DashboardEvent, _ o2: DashboardEvent) -> Bool {
            n1.kind == n2.kind && n1.reason == n2.reason && o1.kind == o2.kind && o1.reason == o2.reason
        }
        // Each node's events, newest first, as indices into `events`; `rank[i]` is event i's place in its node's list.
        var byNode: [NodeAddress: [Int]] = [:]
        var rank = [Int](repeating: 0, count: events.count)
        for (i, event) in events.enumerated() {
            guard let node = event.node else { continue }
            rank[i] = byNode[node, default: []].count
            byNode[node, default: []].append(i)
        }
        var folded = [Bool](repeating: false, count: events.count)
        var lines: [LogLine] = []
        for (i, event) in events.enumerated() where !folded[i] {
            guard let node = event.node, let own = byNode[node] else {
                lines.append(LogLine(event: event, since: event.time))
                continue
            }
            let k = rank[i]
            guard k + 3 < own.count, isCycle(event, events[own[k + 1]]),
                sameCycle(event, events[own[k + 1]], events[own[k + 2]], events[own[k + 3]])
            else {
                lines.append(LogLine(event: event, since: event.time))
                continue
            }
            var cycles = 2
            var j = k + 4
            while j + 1 < own.count, sameCycle(event, events[own[k + 1]], events[own[j]], events[own[j + 1]]) {
                cycles += 1
                j += 2
            }
            for m in k..<j { folded[own[m]] = true }
            lines.append(LogLine(event: event, cycles: cycles, since: events[own[j - 1]].time))
        }
        return lines
    }

    /// One log line: time, node, what happened, reason. A run of cycles reads
    /// `09:49:40 127.0.0.1:9000 ◐ HALF-OPEN ⇄ ✖ BROKEN ×3 since 09:49:38  <newest reason>`.
    static func logSpans(_ line: LogLine, utcOffset: Int, glyphs: Glyphs) -> [Span] {
        let event = line.event
        var spans: [Span] = [(Format.clock(event.time, utcOffsetSeconds: utcOffset) + " ", .dim)]
        if let node = event.node {
            spans.append((DisplayWidth.sanitized(node.description) + " ", .text))
        }
        func state(_ s: NodeState) -> Span { (String(s.glyph(ascii: glyphs.ascii)) + " " + s.word, s.themeKey) }
        switch event.kind {
        case .transition(let from, let to) where line.cycles > 1:
            let since = Format.clock(line.since, utcOffsetSeconds: utcOffset)
            spans += [
                state(from), (glyphs.ascii ? " <-> " : " ⇄ ", .dim), state(to),
                ((glyphs.ascii ? " x" : " ×") + "\(line.cycles) since \(since)", .dim),
            ]
        case .transition(let from, let to):
            spans += [state(from), (" " + glyphs.arrow + " ", .dim), state(to)]
        case .joined:
            spans.append(("joined", .ok))
        case .left:
            spans.append(("left", .warning))
        case .zookeeper(let s):
            spans += [("zookeeper ", .dim), (s.jsonName, s.themeKey)]
        case .redis(let s):
            spans += [("redis ", .dim), (s.jsonName, s.themeKey)]
        case .faultSet(let value):
            spans += [("fault ", .dim), (DisplayWidth.sanitized(value), .fault), (" set", .dim)]
        case .faultCleared:
            spans.append(("fault cleared", .ok))
        case .panic(let on):
            spans.append(on ? ("PANIC mode on", .broken) : ("panic mode off", .ok))
        }
        if let reason = event.reason, !reason.isEmpty {
            spans.append(("  " + DisplayWidth.sanitized(reason), .reason))
        }
        return spans
    }
}
