public import KRPC
import KRPCPolicy
import KRPCTopCore
import Synchronization

/// The ``NodeLedger`` krpc-top shares between the call path (every attempt and logical call is recorded here as
/// it ends) and the collector (which reads it once per refresh), on the continuous clock.
///
/// Recording is a lock, a dictionary look-up and a histogram increment: cheap enough for every call.
public final class CallLedger: Sendable {
    /// Time zero of the ledger's time line.
    public let origin: ContinuousClock.Instant
    private let ledger: Mutex<NodeLedger>

    /// Creates a ledger starting now.
    /// - Parameter window: The sliding window's length (`--window`).
    public init(window: Duration, origin: ContinuousClock.Instant = .now) {
        self.origin = origin
        self.ledger = Mutex(NodeLedger(window: window))
    }

    /// The window's length.
    public var window: Duration { self.ledger.withLock { $0.window } }

    /// Records one attempt (``KRPCChannel/Configuration/attemptObserver``).
    public func observe(_ report: KRPCAttemptReport) {
        let outcome: RollingWindow.Outcome
        switch report.outcome {
        case .success: outcome = .success
        case .failure: outcome = .error
        case .timeout: outcome = .timeout
        }
        let time = report.endedAt - self.origin
        let micros = Self.microseconds(report.latency)
        self.ledger.withLock {
            $0.recordAttempt(node: report.node, outcome: outcome, latencyMicroseconds: micros, at: time)
        }
    }

    /// Records one logical call that started at `start` and ended now with `error` (`nil`: success; a
    /// ``KRPCError`` with ``KRPCError/Code/deadlineExceeded``: a timeout).
    public func recordCall(started start: ContinuousClock.Instant, error: (any Error)?) {
        let end = ContinuousClock.now
        let outcome: RollingWindow.Outcome
        if let error {
            outcome = (error as? KRPCError)?.code == .deadlineExceeded ? .timeout : .error
        } else {
            outcome = .success
        }
        let micros = Self.microseconds(end - start)
        self.ledger.withLock { $0.recordCall(outcome: outcome, latencyMicroseconds: micros, at: end - self.origin) }
    }

    /// Runs `body` on the ledger under its lock.
    public func withLedger<T>(_ body: (inout NodeLedger) -> T) -> T {
        self.ledger.withLock { body(&$0) }
    }

    static func microseconds(_ d: Duration) -> Int {
        let (seconds, atto) = d.components
        guard seconds < 1_000_000 else { return Int.max / 2 }
        return max(0, Int(seconds) * 1_000_000 + Int(atto / 1_000_000_000_000))
    }
}
