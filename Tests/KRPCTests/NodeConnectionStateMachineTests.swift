@testable import KRPC
import KRPCPolicy
import KRPCWire
import Testing

/// The client connection's decisions, event by event, on made-up times (no channel, no clock).
/// Calls are resumed through continuations named by their request id, waiters by strings.
@Suite("NodeConnection state machine")
struct NodeConnectionStateMachineTests {
    typealias Machine = ConnectionCore.StateMachine<UInt64, String>

    static let ms: UInt64 = 1_000_000
    static let address = NodeAddress(host: "127.0.0.1", port: 8000)

    struct Refused: Error, CustomStringConvertible {
        var description: String { "connection refused" }
    }

    func machine(maximumFrameLength: Int = 4 * 1024 * 1024) -> Machine {
        Machine(
            address: Self.address,
            maximumFrameLength: maximumFrameLength,
            backoff: Backoff(initial: .milliseconds(100), max: .seconds(1), multiplier: 2, jitter: 0),
            random: KRPCPolicy.SplitMix64(seed: 3)
        )
    }

    func request(id: UInt64, timeoutMilliseconds: UInt64 = 1_000, at now: UInt64, payload: [UInt8] = [1, 2]) -> ConnectionCore.Request {
        ConnectionCore.Request(
            id: id,
            service: "Echo",
            method: "Echo",
            payload: payload,
            deadline: now + timeoutMilliseconds * Self.ms,
            timeout: .milliseconds(timeoutMilliseconds)
        )
    }

    func header(id: UInt64, deadlineMilliseconds: UInt32) -> FrameHeader {
        .request(id: id, service: "Echo", method: "Echo", deadlineMilliseconds: deadlineMilliseconds)
    }

    /// A machine with attempt 1 connected at `now`.
    func connected(at now: UInt64 = 0) -> Machine {
        var m = self.machine()
        _ = m.connectRequested("w", now: now)
        _ = m.connected(attempt: 1, now: now)
        return m
    }

    @Test("the first call opens the connection; calls meanwhile queue; connected, they are written with the time left")
    func connectAndQueue() {
        var m = self.machine()
        #expect(m.startCall(self.request(id: 1, at: 0), continuation: 1, now: 0) == .connect(attempt: 1, timer: .schedule(at: 1_000 * Self.ms)))
        #expect(m.startCall(self.request(id: 2, timeoutMilliseconds: 2_000, at: 0), continuation: 2, now: 0) == .queued(timer: .none))
        #expect(m.connectRequested("w", now: 0) == .none)
        #expect(
            m.connected(attempt: 1, now: 300 * Self.ms)
                == .ready(
                    writes: [
                        .init(header: self.header(id: 1, deadlineMilliseconds: 700), payload: [1, 2]),
                        .init(header: self.header(id: 2, deadlineMilliseconds: 1_700), payload: [1, 2]),
                    ],
                    waiters: ["w"]
                )
        )
        #expect(m.startCall(self.request(id: 3, at: 400 * Self.ms), continuation: 3, now: 400 * Self.ms) == .write(self.header(id: 3, deadlineMilliseconds: 1_000), timer: .none))
        #expect(m.responseReceived(id: 2, status: 0, message: "") == .succeed(2))
        #expect(m.responseReceived(id: 3, status: 6, message: "no such method") == .fail(3, ActionError(.unknownMethod, "no such method")))
        #expect(m.responseReceived(id: 3, status: 0, message: "") == .none)
        #expect(m.connectRequested("again", now: 0) == .resume("again", nil))
    }

    @Test("a failed attempt fails the queued calls and backs off; calls fail fast until the backoff ends, then reconnect")
    func backoff() {
        var m = self.machine()
        _ = m.startCall(self.request(id: 1, at: 0), continuation: 1, now: 0)
        let error = ActionError(.unavailable, "cannot connect to 127.0.0.1:8000: connection refused")
        #expect(m.connectFailed(attempt: 1, cause: Refused(), now: 0) == .backingOff(error: error, retryIn: .milliseconds(100), calls: [1], waiters: []))
        #expect(m.callCount == 0)
        #expect(
            m.startCall(self.request(id: 2, at: 40 * Self.ms), continuation: 2, now: 40 * Self.ms)
                == .fail(2, ActionError(.unavailable, "not connected to 127.0.0.1:8000; next attempt in 60 ms after: \(error.error.message)"))
        )
        #expect(m.connectRequested("w", now: 50 * Self.ms) == .resume("w", error))
        // (The timer set for call 1 at 1 s is still scheduled: it comes first, and finds call 3's deadline then.)
        #expect(m.startCall(self.request(id: 3, at: 100 * Self.ms), continuation: 3, now: 100 * Self.ms) == .connect(attempt: 2, timer: .none))
        #expect(m.timerFired(now: 1_000 * Self.ms) == .init(timer: .schedule(at: 1_100 * Self.ms)))
        // The next failure doubles the backoff; a success resets it.
        if case .backingOff(_, let delay, _, _) = m.connectFailed(attempt: 2, cause: Refused(), now: 100 * Self.ms) {
            #expect(delay == .milliseconds(200))
        } else {
            Issue.record("expected a backoff")
        }
        _ = m.connectRequested("w2", now: 400 * Self.ms)
        _ = m.connected(attempt: 3, now: 400 * Self.ms)
        _ = m.channelClosed(attempt: 3, error: KRPCError(code: .unavailable, message: "dropped"))
        _ = m.connectRequested("w3", now: 500 * Self.ms)
        if case .backingOff(_, let delay, _, _) = m.connectFailed(attempt: 4, cause: Refused(), now: 500 * Self.ms) {
            #expect(delay == .milliseconds(100))
        } else {
            Issue.record("expected a backoff")
        }
    }

    @Test("events of an attempt that is not current are ignored; its channel is closed")
    func staleAttempt() {
        var m = self.machine()
        _ = m.connectRequested("w", now: 0)
        #expect(m.closeRequested() == .failAll(error: ActionError(.unavailable, "connection to 127.0.0.1:8000 was closed by the client"), calls: [], waiters: ["w"]))
        #expect(m.connected(attempt: 1, now: 0) == .closeChannel)
        #expect(m.connectFailed(attempt: 1, cause: Refused(), now: 0) == .none)
        #expect(m.closeRequested() == .none)
        #expect(m.startCall(self.request(id: 1, at: 0), continuation: 1, now: 0) == .fail(1, ActionError(.unavailable, "connection to 127.0.0.1:8000 is closed")))

        var r = self.connected()
        #expect(r.channelClosed(attempt: 7, error: KRPCError(code: .unavailable, message: "x")) == .none)
    }

    @Test("the channel closing fails every call in flight with its error; the next call reconnects at once")
    func dropped() {
        var m = self.connected()
        _ = m.startCall(self.request(id: 1, at: 0), continuation: 1, now: 0)
        _ = m.startCall(self.request(id: 2, at: 0), continuation: 2, now: 0)
        guard case .failAll(let error, let calls, let waiters) = m.channelClosed(attempt: 1, error: KRPCError(code: .unavailable, message: "GOAWAY")) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error == ActionError(.unavailable, "GOAWAY"))
        #expect(calls.sorted() == [1, 2])
        #expect(waiters.isEmpty)
        #expect(m.startCall(self.request(id: 3, at: 0), continuation: 3, now: 0) == .connect(attempt: 2, timer: .schedule(at: 1_000 * Self.ms)))
    }

    @Test("deadlines: the timer ends calls exactly at their deadline; a CANCEL goes out only for requests written")
    func deadlines() {
        var m = self.machine()
        _ = m.startCall(self.request(id: 1, timeoutMilliseconds: 100, at: 0), continuation: 1, now: 0)
        // Still connecting at the deadline: nothing was sent, no CANCEL.
        #expect(m.timerFired(now: 99 * Self.ms) == .init(timer: .schedule(at: 100 * Self.ms)))
        let error = ActionError(.deadlineExceeded, "Echo.Echo on 127.0.0.1:8000 exceeded its deadline of 100 ms")
        #expect(m.timerFired(now: 100 * Self.ms) == .init(expired: [.init(continuation: 1, error: error, sendCancel: false, id: 1)]))

        var r = self.connected()
        _ = r.startCall(self.request(id: 2, timeoutMilliseconds: 50, at: 0), continuation: 2, now: 0)
        _ = r.startCall(self.request(id: 3, timeoutMilliseconds: 80, at: 0), continuation: 3, now: 0)
        #expect(r.responseReceived(id: 2, status: 0, message: "") == .succeed(2))
        let outcome = r.timerFired(now: 80 * Self.ms)
        #expect(outcome.expired.map(\.id) == [3])
        #expect(outcome.expired.map(\.sendCancel) == [true])
        #expect(outcome.timer == .none)
        // The late answer is dropped.
        #expect(r.responseReceived(id: 3, status: 0, message: "") == .none)
    }

    @Test("cancellation: CANCEL for a written request, none for a queued one, nothing for an ended one")
    func cancel() {
        var m = self.connected()
        _ = m.startCall(self.request(id: 1, at: 0), continuation: 1, now: 0)
        #expect(m.cancel(id: 1) == .fail(1, ActionError(.cancelled, "Echo.Echo was cancelled"), sendCancel: true))
        #expect(m.cancel(id: 1) == .none)

        var q = self.machine()
        _ = q.startCall(self.request(id: 2, at: 0), continuation: 2, now: 0)
        #expect(q.cancel(id: 2) == .fail(2, ActionError(.cancelled, "Echo.Echo was cancelled"), sendCancel: false))
        // The connection comes up: the cancelled call is not written.
        #expect(q.connected(attempt: 1, now: 0) == .ready(writes: [], waiters: []))
    }

    @Test("a call past its deadline on arrival, or too large for a frame, fails at once")
    func failsAtOnce() {
        var m = self.machine(maximumFrameLength: 100)
        let late = ConnectionCore.Request(id: 1, service: "Echo", method: "Echo", payload: [], deadline: 5, timeout: .zero)
        #expect(m.startCall(late, continuation: 1, now: 5) == .fail(1, ActionError(.deadlineExceeded, "Echo.Echo on 127.0.0.1:8000 exceeded its deadline of 0 ms")))
        let big = self.request(id: 2, at: 0, payload: [UInt8](repeating: 0, count: 100))
        guard case .fail(2, let error) = m.startCall(big, continuation: 2, now: 0) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.error.code == .frameTooLarge)
        #expect(m.callCount == 0)
    }
}
