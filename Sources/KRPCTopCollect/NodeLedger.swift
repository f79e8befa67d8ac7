public import KRPCPolicy
public import KRPCTopCore

/// What krpc-top remembers of every node it has seen, and of its own calls: the sliding windows, the totals since
/// start, the current episode, and the nodes that left.
///
/// Pure: it is told of attempts and of the channel's node list with the time as an offset from any fixed origin
/// (krpc-top's start), so tests drive it on virtual time.
///
/// - Totals are kept by address: a node that leaves and rejoins at the same address keeps them.
/// - An episode starts when a node leaves HEALTHY and ends when it is HEALTHY again: the BROKEN ⇄ HALF-OPEN
///   cycles of one failing stretch are one episode, and the table's AGE is its length.
/// - A node that leaves the registry stays as a departed row (its last figures, frozen) for ``departedShownFor``
///   or until it rejoins.
public struct NodeLedger: Sendable {
    private struct Entry: Sendable {
        var window: RollingWindow
        var totals = NodeTotals()
        /// When the node left HEALTHY; `nil` while it is healthy.
        var episodeStart: Duration?
        /// The node as last listed (what a departed row shows).
        var last: NodeSnapshot?
        /// When it left the registry; `nil` while it is listed.
        var departedAt: Duration?
    }

    /// How long a departed node stays listed.
    public static let departedShownFor = Duration.seconds(60)

    /// The window's length.
    public let window: Duration
    private let startedAt: Duration
    private var entries: [NodeAddress: Entry] = [:]
    private var caller: RollingWindow

    /// Creates an empty ledger.
    /// - Parameters:
    ///   - window: The sliding window's length (`--window`).
    ///   - startedAt: When collection started, on the same time line as every other call.
    public init(window: Duration, startedAt: Duration = .zero) {
        self.window = window
        self.startedAt = startedAt
        self.caller = RollingWindow(length: window, startedAt: startedAt)
    }

    /// Counts one attempt this client made on `node`.
    public mutating func recordAttempt(
        node: NodeAddress, outcome: RollingWindow.Outcome, latencyMicroseconds: Int?, at time: Duration
    ) {
        if self.entries[node] == nil { self.entries[node] = Entry(window: self.makeWindow(time)) }
        self.entries[node]?.window.record(outcome, latencyMicroseconds: latencyMicroseconds, at: time)
        switch outcome {
        case .success: self.entries[node]?.totals.calls += 1
        case .error:
            self.entries[node]?.totals.calls += 1
            self.entries[node]?.totals.errors += 1
        case .timeout: self.entries[node]?.totals.timeouts += 1
        }
    }

    /// Counts one logical call (as the caller sees it, after failover and hedging).
    public mutating func recordCall(outcome: RollingWindow.Outcome, latencyMicroseconds: Int?, at time: Duration) {
        self.caller.record(outcome, latencyMicroseconds: latencyMicroseconds, at: time)
    }

    /// The caller's logical calls over the window.
    public mutating func callerFigures(at time: Duration) -> WindowFigures {
        self.caller.figures(at: time)
    }

    /// The totals of a node since start (zero for one never seen).
    public func totals(of node: NodeAddress) -> NodeTotals {
        self.entries[node]?.totals ?? NodeTotals()
    }

    /// Takes the channel's current node list and completes it: window figures, totals, episode age. Nodes seen
    /// before and missing now become departed.
    /// - Parameters:
    ///   - present: The nodes listed now, with state and time in state from the breaker.
    ///   - time: Now.
    /// - Returns: The present nodes completed, and the departed ones (``NodeSnapshot/departedFor`` set, figures
    ///   as they were when they left), both in the order given / by address.
    public mutating func update(_ present: [NodeSnapshot], at time: Duration)
        -> (nodes: [NodeSnapshot], departed: [NodeSnapshot])
    {
        var listed = Set<NodeAddress>()
        listed.reserveCapacity(present.count)
        var nodes: [NodeSnapshot] = []
        nodes.reserveCapacity(present.count)
        for var node in present {
            listed.insert(node.address)
            var entry = self.entries[node.address] ?? Entry(window: self.makeWindow(time))
            entry.departedAt = nil
            if node.state == .healthy {
                entry.episodeStart = nil
                node.timeInEpisode = node.timeInState
            } else {
                let start = entry.episodeStart ?? (time - node.timeInState)
                entry.episodeStart = start
                node.timeInEpisode = max(.zero, time - start)
            }
            let figures = entry.window.figures(at: time)
            node.window = figures
            node.p50Microseconds = figures.p50Microseconds
            node.p99Microseconds = figures.p99Microseconds
            node.calls = entry.totals.calls
            node.errors = entry.totals.errors
            node.timeouts = entry.totals.timeouts
            node.departedFor = nil
            entry.last = node
            self.entries[node.address] = entry
            nodes.append(node)
        }
        var departed: [NodeSnapshot] = []
        for address in Array(self.entries.keys) where !listed.contains(address) {
            guard let entry = self.entries[address] else { continue }
            guard var last = entry.last else { continue }  // attempts reported, never listed: nothing to show
            let leftAt = entry.departedAt ?? time
            if entry.departedAt == nil {
                self.entries[address]?.departedAt = time
                // The failing stretch it was in ends with it.
                self.entries[address]?.episodeStart = nil
            }
            let gone = time - leftAt
            guard gone < Self.departedShownFor else {
                // Shown long enough: keep the totals (for a rejoin), drop the rest.
                let fresh = self.makeWindow(time)
                self.entries[address]?.last = nil
                self.entries[address]?.window = fresh
                continue
            }
            last.departedFor = gone
            last.inFlight = 0
            departed.append(last)
        }
        departed.sort { NodeAddress.naturallyPrecedes($0.address, $1.address) }
        return (nodes, departed)
    }

    private func makeWindow(_ time: Duration) -> RollingWindow {
        // Rates over the time since krpc-top started, not since the node was first seen: a node that joined
        // later had no calls before, which is what its rate should say.
        RollingWindow(length: self.window, startedAt: self.startedAt)
    }
}
