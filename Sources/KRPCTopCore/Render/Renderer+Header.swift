extension Renderer {
    /// The header: two lines when there is room, else one line with the most important figures.
    static func drawHeader(
        _ snapshot: DashboardSnapshot, rows: Range<Int>, glyphs: Glyphs, into buffer: inout ScreenBuffer
    ) {
        guard let first = rows.first else { return }
        let (lineA, lineB) = Self.headerSegments(snapshot, glyphs: glyphs)
        if rows.count >= 2 {
            Self.drawFlow(lineA, row: first, glyphs: glyphs, into: &buffer)
            Self.drawFlow(lineB, row: first + 1, glyphs: glyphs, into: &buffer)
        } else {
            Self.drawFlow(lineA + lineB, row: first, glyphs: glyphs, into: &buffer)
        }
    }

    static func headerSegments(_ s: DashboardSnapshot, glyphs: Glyphs) -> ([Segment], [Segment]) {
        let call = s.service.isEmpty && s.method.isEmpty ? "(no service)" : "\(s.service).\(s.method)"
        var a: [Segment] = [
            Segment([("krpc-top", .title)], 10),
            Segment([(DisplayWidth.sanitized(call), .text)], 90),
            Segment([("lb ", .dim), (DisplayWidth.sanitized(s.balancer), .text)], 60),
            Segment([("rate ", .dim), (Format.rate(s.achievedRate), .text), (" of ", .dim),
                     (Format.rate(s.targetRate), .text), ("/s", .dim)], 70),
        ]
        // The window every figure of the header and the table is over (`--window`).
        a.append(Segment([("window ", .dim), (Format.countdown(s.windowLength), .text)], 5))
        if s.paused { a.append(Segment([("PAUSED", .warning)], 95)) }
        if s.panicMode { a.append(Segment([("PANIC", .broken)], 100)) }

        let errorStyle = Self.errorSeverity(s.errorPercent)
        var zk: [Span] = [("zk ", .dim), (s.zookeeper.jsonName, s.zookeeper.themeKey)]
        if let timeout = s.zookeeperSessionTimeout {
            zk.append((" (" + Format.countdown(timeout) + ")", .dim))
        }
        let b: [Segment] = [
            Segment([("qps ", .dim), (s.clusterQPS.map(Format.rate) ?? "-", .text)], 60),
            Segment([("err ", .dim), (Format.percent(s.errorPercent), errorStyle)], 70),
            Segment([("p50 ", .dim), (Format.latency(s.p50Microseconds, ascii: glyphs.ascii), .text)], 40),
            Segment([("p99 ", .dim), (Format.latency(s.p99Microseconds, ascii: glyphs.ascii), .text)], 50),
            Segment(zk, 80),
            Segment([("redis ", .dim), (s.redis.jsonName, s.redis.themeKey)], 75),
        ]
        return (a, b)
    }
}
