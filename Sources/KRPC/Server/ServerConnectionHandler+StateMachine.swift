import KRPCPolicy

extension ServerConnectionHandler {
    /// Every decision of one server connection, as a value: which requests run, are refused or
    /// held; when a call's deadline ends it; when to flush the batched responses; when an idle or
    /// drained connection closes, and with which GOAWAY.
    ///
    /// It takes events (a request or CANCEL read, a call finished, the read batch over, the timer
    /// fired, a drain asked, end of input, the channel gone) with the current time, and returns what
    /// to do. It never reads a clock, touches a channel or draws from the system's random source:
    /// the injected-fault decisions draw from the generator it was given. The channel handler
    /// performs its actions. `Call` is what the handler keeps per call (its method and task); tests
    /// use a plain value.
    ///
    /// Times are `NIODeadline.uptimeNanoseconds`; a deadline of 0 means none.
    struct StateMachine<Call> {
        struct Settings: Sendable {
            /// Responses written per flush at most.
            var flushEvery: Int
            /// Calls in flight at most; past it, requests are answered `overloaded`.
            var maximumConcurrentCalls: Int
            /// Close after this long (nanoseconds) with no call and nothing read; `nil` = never.
            var idleTimeoutNanoseconds: UInt64?
        }

        /// A call in flight.
        struct Entry {
            var call: Call
            /// 0 = none.
            var deadline: UInt64
            var start: UInt64
        }

        /// How the connection ends.
        enum CloseAction: Equatable, Sendable {
            /// Stay open.
            case none
            /// Flush what is written, then close.
            case close
            /// Write a GOAWAY frame with this status and message, flush, close.
            case goaway(KRPCError.Code, String)
        }

        /// When to write the batched responses to the socket.
        enum FlushAction: Equatable, Sendable {
            case none
            /// Write and flush the batch now.
            case flush
            /// Flush at the end of this event-loop tick (then call ``scheduledFlushRan()``).
            case scheduleFlush
        }

        enum RequestAction {
            /// Run the call's handler, after `delayNanoseconds` (an injected delay) when not 0.
            case start(Entry, delayNanoseconds: UInt64, timer: ConnectionTimer.Action)
            /// Registered, but nothing runs (an injected `timeout` fault): the deadline or the
            /// connection's end finishes it.
            case hold(timer: ConnectionTimer.Action)
            /// Answer at once with this error; the call (when known) counts as failed.
            case refuse(Entry?, KRPCError.Code, String)
            /// A connection error: GOAWAY and close.
            case close(CloseAction)
            /// The connection is closing: drop the request.
            case ignore
        }

        enum EndAction {
            /// The call ended here; `close` says whether the connection now closes.
            case ended(Entry, close: CloseAction)
            /// It had ended already (deadline, CANCEL): nothing to do.
            case alreadyEnded
        }

        /// A call whose deadline passed.
        struct Expired {
            var id: UInt64
            var entry: Entry
        }

        struct TimerOutcome {
            /// Calls whose deadline passed: answer them `deadlineExceeded`.
            var expired: [Expired] = []
            var timer: ConnectionTimer.Action = .none
            var close: CloseAction = .none
        }

        private enum Phase: Equatable {
            case open
            /// Shutting down: new requests are refused; close (with GOAWAY) once no call is left.
            case draining
            /// Closing or closed: everything is dropped.
            case closed
        }

        private let settings: Settings
        private var phase = Phase.open
        private var calls: [UInt64: Entry] = [:]
        private var timer = ConnectionTimer()
        private var random: SplitMix64
        private var lastActivity: UInt64 = 0
        private var pendingFrames = 0
        private var inReadBatch = false
        private var flushScheduled = false

        init(settings: Settings, random: SplitMix64) {
            self.settings = settings
            self.random = random
        }

        /// The number of calls in flight.
        var callCount: Int { self.calls.count }
        var isClosed: Bool { self.phase == .closed }

        // MARK: Events

        /// The connection is open: arms the idle check.
        mutating func activated(now: UInt64) -> ConnectionTimer.Action {
            self.lastActivity = now
            guard let idle = self.settings.idleTimeoutNanoseconds else { return .none }
            return self.timer.wake(at: now &+ idle)
        }

        /// A REQUEST frame arrived. `lookup` is the method it names, or the error it is answered
        /// with (unknown service or method); `fault` the injected fault that applies to it.
        mutating func requestReceived(
            id: UInt64,
            deadlineMilliseconds: UInt32,
            lookup: Result<Call, LookupFailure>,
            fault: Fault?,
            now: UInt64
        ) -> RequestAction {
            guard self.phase != .closed else { return .ignore }
            guard id != 0 else {
                return .close(self.closeWithGoaway(.protocolError, "request id 0 is reserved"))
            }
            guard self.calls[id] == nil else {
                return .close(self.closeWithGoaway(.protocolError, "request id \(id) is already in flight"))
            }
            let call: Call
            switch lookup {
            case .success(let found):
                call = found
            case .failure(let failure):
                return .refuse(nil, failure.code, failure.message)
            }
            let deadline = deadlineMilliseconds == 0 ? 0 : now &+ UInt64(deadlineMilliseconds) * 1_000_000
            let entry = Entry(call: call, deadline: deadline, start: now)
            if self.phase == .draining {
                return .refuse(entry, .unavailable, "server is shutting down")
            }
            if self.calls.count >= self.settings.maximumConcurrentCalls {
                return .refuse(
                    entry,
                    .overloaded,
                    "refused: \(self.calls.count) calls already in flight on this connection (the limit)"
                )
            }
            var delay: UInt64 = 0
            switch fault {
            case nil:
                break
            case .error:
                return .refuse(entry, .internal, "injected error")
            case .errorRate(let p):
                if Double.random(in: 0..<1, using: &self.random) < p {
                    return .refuse(entry, .internal, "injected error")
                }
            case .timeout:
                return .hold(timer: self.register(entry, id: id))
            case .delay(let ms):
                // Clamped: any FaultSource may hand over any Int, and the product must not overflow.
                delay = UInt64(min(max(0, ms), Fault.maximumDelayMilliseconds)) * 1_000_000
            }
            return .start(entry, delayNanoseconds: delay, timer: self.register(entry, id: id))
        }

        /// Changes the handler's data of call `id`, if it is in flight.
        mutating func updateCall(id: UInt64, _ body: (inout Call) -> Void) {
            guard self.calls[id] != nil else { return }
            body(&self.calls[id]!.call)
        }

        /// A CANCEL frame arrived for `id`: the call ends, unanswered.
        mutating func cancelReceived(id: UInt64) -> EndAction {
            guard self.phase != .closed, let entry = self.calls.removeValue(forKey: id) else { return .alreadyEnded }
            return .ended(entry, close: self.closeIfDrained())
        }

        /// The handler of call `id` returned at `now`: answer it, unless it ended already. An answer
        /// counts as activity for the idle check (the client may be about to send the next request).
        mutating func callFinished(id: UInt64, now: UInt64) -> EndAction {
            guard self.phase != .closed, let entry = self.calls.removeValue(forKey: id) else { return .alreadyEnded }
            self.lastActivity = max(self.lastActivity, now)
            return .ended(entry, close: self.closeIfDrained())
        }

        /// A client frame the server does not accept (RESPONSE, GOAWAY), or bytes that are not a
        /// frame: a connection error.
        mutating func protocolViolation(_ code: KRPCError.Code, _ message: String) -> CloseAction {
            guard self.phase != .closed else { return .none }
            return self.closeWithGoaway(code, message)
        }

        /// The server drains.
        mutating func drainRequested() -> CloseAction {
            guard self.phase == .open else { return .none }
            self.phase = .draining
            return self.closeIfDrained()
        }

        /// The client shut its side down. `partialFrame` is why the bytes it left are not a frame.
        mutating func inputClosed(partialFrame: String?) -> CloseAction {
            guard self.phase != .closed else { return .none }
            if let partialFrame {
                // It may still read: tell it why.
                return self.closeWithGoaway(.protocolError, partialFrame)
            }
            // The client is gone: close, which ends the calls in flight.
            self.phase = .closed
            return .close
        }

        /// The channel is closed: the calls still in flight end, unanswered.
        mutating func channelInactive() -> [UInt64: Entry] {
            self.phase = .closed
            self.timer.removeAll()
            defer { self.calls = [:] }
            return self.calls
        }

        /// The timer fired at `now`. `partialFrame`: bytes of an incomplete frame are buffered.
        mutating func timerFired(now: UInt64, partialFrame: Bool) -> TimerOutcome {
            self.timer.fired()
            var outcome = TimerOutcome()
            guard self.phase != .closed else { return outcome }
            while let top = self.timer.popExpired(now: now, isCurrent: { self.calls[$0.id]?.deadline == $0.deadline }) {
                if let entry = self.calls.removeValue(forKey: top.id) {
                    outcome.expired.append(Expired(id: top.id, entry: entry))
                }
            }
            if !outcome.expired.isEmpty {
                self.lastActivity = max(self.lastActivity, now)  // answers written
            }
            var idleCheck: UInt64?
            if let idle = self.settings.idleTimeoutNanoseconds {
                if self.calls.isEmpty, now &- self.lastActivity >= idle {
                    if partialFrame {
                        let seconds = Duration.nanoseconds(Int64(clamping: idle))
                        outcome.close = self.closeWithGoaway(.protocolError, "incomplete frame, then nothing for \(seconds)")
                    } else {
                        self.phase = .closed
                        outcome.close = .close
                    }
                    return outcome
                }
                // With calls in flight, look again one idle period on (not sooner: the timer must
                // not spin while a long call runs); the last call's answer moves the check to the
                // idle timeout after it.
                idleCheck = self.calls.isEmpty ? self.lastActivity &+ idle : now &+ idle
            }
            outcome.timer = self.timer.rearm(other: idleCheck)
            if !outcome.expired.isEmpty {
                outcome.close = self.closeIfDrained()
            }
            return outcome
        }

        // MARK: Flush batching

        /// A read batch begins: responses written during it wait for its end.
        mutating func readStarted() {
            self.inReadBatch = true
        }

        /// The read batch is over at `now` (which counts as activity for the idle check).
        mutating func readComplete(now: UInt64) -> FlushAction {
            self.inReadBatch = false
            self.lastActivity = now
            return self.takePendingFrames()
        }

        /// A response frame went into the batch.
        mutating func frameWritten() -> FlushAction {
            self.pendingFrames += 1
            if self.pendingFrames >= self.settings.flushEvery {
                return self.takePendingFrames()
            }
            // Written outside a read batch (a handler that suspended): flush at the end of this loop
            // tick, together with whatever else completes in it.
            if !self.inReadBatch, !self.flushScheduled {
                self.flushScheduled = true
                return .scheduleFlush
            }
            return .none
        }

        /// The flush scheduled by ``frameWritten()`` runs.
        mutating func scheduledFlushRan() -> FlushAction {
            self.flushScheduled = false
            return self.takePendingFrames()
        }

        // MARK: Internals

        private mutating func takePendingFrames() -> FlushAction {
            guard self.pendingFrames > 0 else { return .none }
            self.pendingFrames = 0
            return .flush
        }

        private mutating func register(_ entry: Entry, id: UInt64) -> ConnectionTimer.Action {
            self.calls[id] = entry
            guard entry.deadline != 0 else { return .none }
            return self.timer.add(deadline: entry.deadline, id: id, liveCount: self.calls.count) {
                self.calls.compactMap { $0.value.deadline == 0 ? nil : .init(deadline: $0.value.deadline, id: $0.key) }
            }
        }

        private mutating func closeIfDrained() -> CloseAction {
            guard self.phase == .draining, self.calls.isEmpty else { return .none }
            return self.closeWithGoaway(.unavailable, "server is shutting down")
        }

        private mutating func closeWithGoaway(_ code: KRPCError.Code, _ message: String) -> CloseAction {
            self.phase = .closed
            return .goaway(code, message)
        }
    }

    /// Why a request names nothing the server serves.
    struct LookupFailure: Error, Equatable, Sendable {
        var code: KRPCError.Code
        var message: String
    }
}

extension ServerConnectionHandler.StateMachine.Entry: Equatable where Call: Equatable {}
extension ServerConnectionHandler.StateMachine.RequestAction: Equatable where Call: Equatable {}
extension ServerConnectionHandler.StateMachine.EndAction: Equatable where Call: Equatable {}
extension ServerConnectionHandler.StateMachine.Expired: Equatable where Call: Equatable {}
extension ServerConnectionHandler.StateMachine.TimerOutcome: Equatable where Call: Equatable {}
