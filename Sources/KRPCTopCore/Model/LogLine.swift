public import KRPCPolicy

/// One line of the event log: a single event, or a repeating pattern of one subject's events (a node's breaker
/// cycle, panic mode on and off, a node joining and leaving) folded into one line with a count and a time span.
public struct LogLine: Sendable, Hashable {
    /// The newest event of the line.
    public var event: DashboardEvent
    /// The repeating pattern, newest first: one event for a plain line or a repeated single event, two for a
    /// breaker cycle or panic on/off, up to ``EventFolding/longestPattern``.
    public var pattern: [DashboardEvent]
    /// How many times the whole pattern occurred in a row (1: a plain event).
    public var count: Int
    /// The time of the oldest event the line stands for.
    public var since: Double
    /// How many events the line stands for (``count`` × pattern length, plus a trailing part of the pattern).
    public var eventCount: Int

    /// A plain line for one event.
    public init(event: DashboardEvent) {
        self.event = event
        self.pattern = [event]
        self.count = 1
        self.since = event.time
        self.eventCount = 1
    }

    /// A folded line.
    public init(pattern: [DashboardEvent], count: Int, since: Double, eventCount: Int) {
        self.event = pattern[0]
        self.pattern = pattern
        self.count = count
        self.since = since
        self.eventCount = eventCount
    }

    /// The line stands for more than one event.
    public var isFolded: Bool { self.eventCount > 1 }

    /// The line's node, if its events concern one.
    public var node: NodeAddress? { self.event.node }
}

/// Folds the event log: any repeating pattern of one subject's events is one line.
///
/// A subject is a node (its transitions, joins and leaves, faults) or, for cluster-wide events, the kind (panic,
/// ZooKeeper, Redis). Within a subject's own events, newest first, the shortest pattern of 1 to ``longestPattern``
/// events that occurs at least twice in a row is folded into one line with its count; a trailing part of the
/// pattern (panic went on once more than it went off) goes with it. Events of other subjects in between do not
/// break a run (three flapping nodes take a line each), any other event of the same subject does (a fault set
/// stays visible in its place). Events compare by kind and reason with the digits masked, so a cool-down that
/// grows (`cool-down 400ms` then `800ms`) still repeats. The line sits where the run's newest event is.
public enum EventFolding {
    /// The longest pattern folded, in events.
    public static let longestPattern = 4

    private enum Subject: Hashable {
        case node(NodeAddress)
        case cluster(String)
    }

    private struct Signature: Hashable {
        var kind: DashboardEvent.Kind
        var reason: String
    }

    /// The events (newest first) as log lines, newest first.
    public static func lines(_ events: [DashboardEvent]) -> [LogLine] {
        var bySubject: [Subject: [Int]] = [:]
        var rank = [Int](repeating: 0, count: events.count)
        for (i, event) in events.enumerated() {
            let subject = Self.subject(event)
            rank[i] = bySubject[subject, default: []].count
            bySubject[subject, default: []].append(i)
        }
        let signatures = events.map(Self.signature)
        var folded = [Bool](repeating: false, count: events.count)
        var lines: [LogLine] = []
        for (i, event) in events.enumerated() where !folded[i] {
            let own = bySubject[Self.subject(event)] ?? [i]
            let k = rank[i]
            guard let (period, count, length) = Self.run(in: own, from: k, signatures: signatures) else {
                lines.append(LogLine(event: event))
                continue
            }
            for m in k..<(k + length) { folded[own[m]] = true }
            lines.append(LogLine(
                pattern: (k..<(k + period)).map { events[own[$0]] }, count: count,
                since: events[own[k + length - 1]].time, eventCount: length))
        }
        return lines
    }

    /// The shortest pattern starting at `own[k]` that repeats at least twice: its period, how many times it
    /// occurs, and how many events the run covers (with a trailing part of the pattern).
    private static func run(in own: [Int], from k: Int, signatures: [Signature]) -> (Int, Int, Int)? {
        let available = own.count - k
        for period in 1...Self.longestPattern where period * 2 <= available {
            func same(_ a: Int, _ b: Int) -> Bool { signatures[own[a]] == signatures[own[b]] }
            var count = 1
            while k + (count + 1) * period <= own.count
                && (0..<period).allSatisfy({ same(k + $0, k + count * period + $0) })
            {
                count += 1
            }
            guard count >= 2 else { continue }
            var length = count * period
            while length - count * period < period - 1 && k + length < own.count
                && same(k + length - count * period, k + length)
            {
                length += 1
            }
            return (period, count, length)
        }
        return nil
    }

    private static func subject(_ event: DashboardEvent) -> Subject {
        if let node = event.node { return .node(node) }
        switch event.kind {
        case .panic: return .cluster("panic")
        case .zookeeper: return .cluster("zookeeper")
        case .redis: return .cluster("redis")
        case .transition, .joined, .left, .faultSet, .faultCleared: return .cluster("other")
        }
    }

    private static func signature(_ event: DashboardEvent) -> Signature {
        Signature(kind: event.kind, reason: Self.maskingDigits(event.reason ?? ""))
    }

    /// `cool-down 400ms` and `cool-down 800ms` compare equal: every run of digits reads `#`.
    static func maskingDigits(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        var inDigits = false
        for c in text {
            if c.isASCII && c.isNumber {
                if !inDigits { out.append("#") }
                inDigits = true
            } else {
                out.append(c)
                inDigits = false
            }
        }
        return out
    }
}
