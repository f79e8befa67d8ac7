@testable import KRPC
import KRPCPolicy
import Testing

/// The server connection's decisions, event by event, on made-up times (no channel, no clock).
@Suite("Server connection state machine")
struct ServerConnectionStateMachineTests {
    typealias Machine = ServerConnectionHandler.StateMachine<String>

    static let ms: UInt64 = 1_000_000

    func machine(
        flushEvery: Int = 16,
        maximumConcurrentCalls: Int = .max,
        idleMilliseconds: UInt64? = nil,
        seed: UInt64 = 1
    ) -> Machine {
        Machine(
            settings: .init(
                flushEvery: flushEvery,
                maximumConcurrentCalls: maximumConcurrentCalls,
                idleTimeoutNanoseconds: idleMilliseconds.map { $0 * Self.ms }
            ),
            random: KRPCPolicy.SplitMix64(seed: seed)
        )
    }

    func request(
        _ machine: inout Machine,
        id: UInt64,
        deadlineMilliseconds: UInt32 = 0,
        fault: Fault? = nil,
        at now: UInt64
    ) -> Machine.RequestAction {
        machine.requestReceived(
            id: id,
            deadlineMilliseconds: deadlineMilliseconds,
            lookup: .success("call \(id)"),
            fault: fault,
            now: now
        )
    }

    @Test("a request with a deadline starts and arms the timer; the timer ends it only once the deadline passed")
    func deadline() {
        var m = self.machine()
        let t0: UInt64 = 1_000 * Self.ms
        let entry = Machine.Entry(call: "call 7", deadline: t0 + 100 * Self.ms, start: t0)
        #expect(
            self.request(&m, id: 7, deadlineMilliseconds: 100, at: t0)
                == .start(entry, delayNanoseconds: 0, timer: .schedule(at: t0 + 100 * Self.ms))
        )
        // A later deadline does not move the timer; an earlier one does.
        #expect(
            self.request(&m, id: 8, deadlineMilliseconds: 500, at: t0)
                == .start(.init(call: "call 8", deadline: t0 + 500 * Self.ms, start: t0), delayNanoseconds: 0, timer: .none)
        )
        #expect(
            self.request(&m, id: 9, deadlineMilliseconds: 50, at: t0)
                == .start(.init(call: "call 9", deadline: t0 + 50 * Self.ms, start: t0), delayNanoseconds: 0, timer: .schedule(at: t0 + 50 * Self.ms))
        )
        // Call 9 finished in time: its deadline is stale when the timer fires.
        #expect(m.callFinished(id: 9, now: t0) == .ended(.init(call: "call 9", deadline: t0 + 50 * Self.ms, start: t0), close: .none))
        #expect(m.timerFired(now: t0 + 50 * Self.ms, partialFrame: false) == .init(timer: .schedule(at: t0 + 100 * Self.ms)))
        let fired = m.timerFired(now: t0 + 100 * Self.ms, partialFrame: false)
        #expect(fired == .init(expired: [.init(id: 7, entry: entry)], timer: .schedule(at: t0 + 500 * Self.ms)))
        // Its handler answering late is dropped.
        #expect(m.callFinished(id: 7, now: t0) == .alreadyEnded)
        #expect(m.callCount == 1)
    }

    @Test("request id 0 and a duplicate id in flight are connection errors; the connection then drops everything")
    func badIDs() {
        var m = self.machine()
        #expect(self.request(&m, id: 0, at: 0) == .close(.goaway(.protocolError, "request id 0 is reserved")))
        #expect(self.request(&m, id: 1, at: 0) == .ignore)

        var d = self.machine()
        #expect(self.request(&d, id: 1, at: 0) == .start(.init(call: "call 1", deadline: 0, start: 0), delayNanoseconds: 0, timer: .none))
        #expect(self.request(&d, id: 1, at: 0) == .close(.goaway(.protocolError, "request id 1 is already in flight")))
        #expect(d.callFinished(id: 1, now: 0) == .alreadyEnded)
    }

    @Test("an unknown method is answered and the connection stays; so is a reused id once its call ended")
    func unknownMethodAndReuse() {
        var m = self.machine()
        let failure = ServerConnectionHandler.LookupFailure(code: .unknownMethod, message: "Echo has no method 'X'")
        #expect(
            m.requestReceived(id: 3, deadlineMilliseconds: 0, lookup: .failure(failure), fault: nil, now: 0)
                == .refuse(nil, .unknownMethod, "Echo has no method 'X'")
        )
        #expect(self.request(&m, id: 3, at: 1) == .start(.init(call: "call 3", deadline: 0, start: 1), delayNanoseconds: 0, timer: .none))
        _ = m.callFinished(id: 3, now: 1)
        #expect(self.request(&m, id: 3, at: 2) == .start(.init(call: "call 3", deadline: 0, start: 2), delayNanoseconds: 0, timer: .none))
    }

    @Test("past the per-connection limit a request is refused overloaded; a finished call makes room")
    func overload() {
        var m = self.machine(maximumConcurrentCalls: 2)
        _ = self.request(&m, id: 1, at: 0)
        _ = self.request(&m, id: 2, at: 0)
        #expect(
            self.request(&m, id: 3, at: 5)
                == .refuse(
                    .init(call: "call 3", deadline: 0, start: 5),
                    .overloaded,
                    "refused: 2 calls already in flight on this connection (the limit)"
                )
        )
        _ = m.callFinished(id: 1, now: 5)
        #expect(self.request(&m, id: 4, at: 6) == .start(.init(call: "call 4", deadline: 0, start: 6), delayNanoseconds: 0, timer: .none))
    }

    @Test("a CANCEL ends the call unanswered: the handler's late result is dropped; an unknown id is ignored")
    func cancel() {
        var m = self.machine()
        _ = self.request(&m, id: 5, at: 0)
        #expect(m.cancelReceived(id: 5) == .ended(.init(call: "call 5", deadline: 0, start: 0), close: .none))
        #expect(m.callFinished(id: 5, now: 0) == .alreadyEnded)
        #expect(m.cancelReceived(id: 42) == .alreadyEnded)
    }

    @Test("draining: new requests are refused unavailable; GOAWAY once the last call ends (by answer or CANCEL)")
    func drain() {
        var m = self.machine()
        _ = self.request(&m, id: 1, at: 0)
        _ = self.request(&m, id: 2, at: 0)
        #expect(m.drainRequested() == .none)
        #expect(self.request(&m, id: 3, at: 1) == .refuse(.init(call: "call 3", deadline: 0, start: 1), .unavailable, "server is shutting down"))
        #expect(m.callFinished(id: 1, now: 1) == .ended(.init(call: "call 1", deadline: 0, start: 0), close: .none))
        #expect(
            m.cancelReceived(id: 2)
                == .ended(.init(call: "call 2", deadline: 0, start: 0), close: .goaway(.unavailable, "server is shutting down"))
        )
        #expect(m.isClosed)

        var idle = self.machine()
        #expect(idle.drainRequested() == .goaway(.unavailable, "server is shutting down"))
        #expect(idle.drainRequested() == .none)
    }

    @Test("a drained connection whose last call times out closes after answering it")
    func drainThenDeadline() {
        var m = self.machine()
        _ = self.request(&m, id: 1, deadlineMilliseconds: 10, at: 0)
        #expect(m.drainRequested() == .none)
        let outcome = m.timerFired(now: 10 * Self.ms, partialFrame: false)
        #expect(outcome.expired.map(\.id) == [1])
        #expect(outcome.close == .goaway(.unavailable, "server is shutting down"))
    }

    @Test("idle: closes after the timeout with no call and nothing read; activity and calls postpone it")
    func idle() {
        var m = self.machine(idleMilliseconds: 1_000)
        #expect(m.activated(now: 0) == .schedule(at: 1_000 * Self.ms))
        _ = m.readComplete(now: 400 * Self.ms)
        // Read at 400 ms: not idle at 1 s; checks again at 1.4 s.
        #expect(m.timerFired(now: 1_000 * Self.ms, partialFrame: false) == .init(timer: .schedule(at: 1_400 * Self.ms)))
        // A call in flight keeps the connection however long it takes; the check comes back one
        // idle period on.
        _ = self.request(&m, id: 1, at: 1_300 * Self.ms)
        #expect(m.timerFired(now: 1_400 * Self.ms, partialFrame: false) == .init(timer: .schedule(at: 2_400 * Self.ms)))
        // Its answer counts as activity: the client gets the idle timeout to send its next request.
        _ = m.callFinished(id: 1, now: 1_900 * Self.ms)
        #expect(m.timerFired(now: 2_400 * Self.ms, partialFrame: false) == .init(timer: .schedule(at: 2_900 * Self.ms)))
        #expect(m.timerFired(now: 2_900 * Self.ms, partialFrame: false).close == .close)
        #expect(m.isClosed)
    }

    @Test("idle with half a frame buffered closes with a GOAWAY that says so")
    func idlePartialFrame() {
        var m = self.machine(idleMilliseconds: 1_000)
        _ = m.activated(now: 0)
        #expect(
            m.timerFired(now: 1_000 * Self.ms, partialFrame: true).close
                == .goaway(.protocolError, "incomplete frame, then nothing for 1.0 seconds")
        )
    }

    @Test("flush batching: at the end of a read batch, every flushEvery frames, and once per loop tick outside reads")
    func flushBatching() {
        var m = self.machine(flushEvery: 3)
        m.readStarted()
        #expect(m.frameWritten() == .none)
        #expect(m.frameWritten() == .none)
        #expect(m.frameWritten() == .flush)
        #expect(m.frameWritten() == .none)
        #expect(m.readComplete(now: 0) == .flush)
        #expect(m.readComplete(now: 0) == .none)
        // Outside a read batch (a handler that suspended): one flush at the end of the tick.
        #expect(m.frameWritten() == .scheduleFlush)
        #expect(m.frameWritten() == .none)
        #expect(m.scheduledFlushRan() == .flush)
        #expect(m.scheduledFlushRan() == .none)
    }

    @Test("faults: error refuses, timeout holds until the deadline, delay is clamped, error-rate draws from the given generator")
    func faults() {
        var m = self.machine()
        #expect(self.request(&m, id: 1, fault: .error, at: 0) == .refuse(.init(call: "call 1", deadline: 0, start: 0), .internal, "injected error"))
        #expect(self.request(&m, id: 2, deadlineMilliseconds: 20, fault: .timeout, at: 0) == .hold(timer: .schedule(at: 20 * Self.ms)))
        #expect(m.timerFired(now: 20 * Self.ms, partialFrame: false).expired.map(\.id) == [2])
        #expect(
            self.request(&m, id: 3, fault: .delay(milliseconds: .max), at: 0)
                == .start(.init(call: "call 3", deadline: 0, start: 0), delayNanoseconds: UInt64(Fault.maximumDelayMilliseconds) * Self.ms, timer: .none)
        )
        #expect(
            self.request(&m, id: 4, fault: .delay(milliseconds: -5), at: 0)
                == .start(.init(call: "call 4", deadline: 0, start: 0), delayNanoseconds: 0, timer: .none)
        )

        // error-rate: the same seed makes the same choices, which the generator's draws predict.
        func refusals(seed: UInt64, rate: Double) -> [Bool] {
            var m = self.machine(seed: seed)
            return (1...200).map { id in
                if case .refuse = self.request(&m, id: UInt64(id), fault: .errorRate(rate), at: 0) { return true }
                _ = m.callFinished(id: UInt64(id), now: 0)
                return false
            }
        }
        var generator = KRPCPolicy.SplitMix64(seed: 9)
        let predicted = (1...200).map { _ in Double.random(in: 0..<1, using: &generator) < 0.3 }
        #expect(refusals(seed: 9, rate: 0.3) == predicted)
        #expect(predicted.contains(true) && predicted.contains(false))
        #expect(!refusals(seed: 9, rate: 0).contains(true))
        #expect(!refusals(seed: 9, rate: 1).contains(false))
    }

    @Test("end of input: closes, or sends GOAWAY when it cut a frame; a client RESPONSE or GOAWAY is a connection error")
    func inputClosedAndViolations() {
        var m = self.machine()
        #expect(m.inputClosed(partialFrame: nil) == .close)
        var p = self.machine()
        #expect(p.inputClosed(partialFrame: "cut") == .goaway(.protocolError, "cut"))
        var v = self.machine()
        #expect(v.protocolViolation(.protocolError, "no") == .goaway(.protocolError, "no"))
        #expect(v.protocolViolation(.protocolError, "again") == .none)
    }

    @Test("the channel going away hands back the calls in flight and stops the timer's work")
    func inactive() {
        var m = self.machine()
        _ = self.request(&m, id: 1, deadlineMilliseconds: 10, at: 0)
        _ = self.request(&m, id: 2, at: 0)
        #expect(Set(m.channelInactive().keys) == [1, 2])
        #expect(m.timerFired(now: 10 * Self.ms, partialFrame: false) == .init())
        #expect(self.request(&m, id: 3, at: 0) == .ignore)
    }
}
