import KRPCPolicy
import KRPCWire
import NIOCore

extension ConnectionCore {
    /// Every decision of one client connection, as a value: whether a call is written, queued
    /// for the connection or failed at once; when to connect and how long to back off after a
    /// failed attempt; which calls a deadline, a cancellation, a drop or a close ends, and whether
    /// a CANCEL goes out for them.
    ///
    /// It takes events (a call, a cancellation, a response, an attempt's outcome, the channel
    /// gone, a close, the timer) with the current time and returns what to do; it never reads a
    /// clock, touches a channel or draws from the system's random source (the backoff jitter
    /// draws from the generator it was given). ``ConnectionCore`` performs its actions.
    /// `Continuation` is how a call is resumed, `Waiter` how a ``NodeConnection/connect()`` is;
    /// tests use plain values.
    ///
    /// Connection attempts are numbered: events of an attempt that is no longer the current one
    /// (a channel that closed after the connection was given up) are ignored.
    struct StateMachine<Continuation, Waiter> {
        struct Pending {
            var continuation: Continuation
            var deadline: UInt64
            var timeout: Duration
            var service: String
            var method: String
            /// The request, until it is written (while connecting).
            var unsent: [UInt8]?
            /// The request's metadata, until it is written (while connecting).
            var unsentMetadata: KRPCMetadata
        }

        private enum Phase {
            case idle
            case connecting(attempt: UInt64)
            case ready(attempt: UInt64)
            case backingOff(until: UInt64, error: KRPCError)
            case closed
        }

        enum StartAction {
            /// The call ends at once with this error.
            case fail(Continuation, ActionError)
            /// Write the request with this header (its payload is the request's).
            case write(FrameHeader, timer: ConnectionTimer.Action)
            /// The call waits for the connection; open it (attempt number `attempt`).
            case connect(attempt: UInt64, timer: ConnectionTimer.Action)
            /// The call waits for the connection being opened.
            case queued(timer: ConnectionTimer.Action)
        }

        enum EndAction {
            case none
            /// Resume the call with this error; send a CANCEL frame first when `sendCancel`.
            case fail(Continuation, ActionError, sendCancel: Bool)
        }

        enum ResponseAction {
            /// No call waits for this id (it ended at its deadline or was cancelled): dropped.
            case none
            case succeed(Continuation)
            case fail(Continuation, ActionError)
        }

        enum ConnectAction {
            case none
            case resume(Waiter, ActionError?)
            /// Open the connection (attempt number `attempt`); the waiter is resumed when it is.
            case connect(attempt: UInt64)
        }

        /// A request queued while connecting, to write now.
        struct QueuedWrite {
            var header: FrameHeader
            var payload: [UInt8]
        }

        enum ConnectedAction {
            /// The attempt is not current any more (closed meanwhile): close its channel.
            case closeChannel
            /// Ready: write these requests, flush, resume these waiters.
            case ready(writes: [QueuedWrite], waiters: [Waiter])
        }

        enum ConnectFailedAction {
            case none
            /// Back off for `retryIn`; fail the queued calls and the waiters with `error`.
            case backingOff(error: ActionError, retryIn: Duration, calls: [Continuation], waiters: [Waiter])
        }

        enum ClosedAction {
            case none
            /// Every call in flight (and every waiter) fails with `error`.
            case failAll(error: ActionError, calls: [Continuation], waiters: [Waiter])
        }

        struct Expired {
            var continuation: Continuation
            var error: ActionError
            /// The request went out: tell the server with a CANCEL frame (request id `id`).
            var sendCancel: Bool
            var id: UInt64
        }

        struct TimerOutcome {
            var expired: [Expired] = []
            var timer: ConnectionTimer.Action = .none
        }

        let address: NodeAddress
        private let maximumFrameLength: Int
        private var phase = Phase.idle
        private var attempts: UInt64 = 0
        private var calls: [UInt64: Pending] = [:]
        /// Calls waiting for the connection, in arrival order.
        private var waiting: [UInt64] = []
        private var connectWaiters: [Waiter] = []
        private var timer = ConnectionTimer()
        private var backoff: Backoff.Iterator
        private var random: SplitMix64

        init(address: NodeAddress, maximumFrameLength: Int, backoff: Backoff, random: SplitMix64) {
            self.address = address
            self.maximumFrameLength = maximumFrameLength
            self.backoff = backoff.makeIterator()
            self.random = random
        }

        /// The number of calls in flight (waiting for the connection or for their response).
        var callCount: Int { self.calls.count }

        // MARK: Calls

        /// A call arrives on the loop at `now`.
        mutating func startCall(_ request: Request, continuation: Continuation, now: UInt64) -> StartAction {
            if request.deadline <= now {
                return .fail(continuation, self.deadlineError(request.service, request.method, request.timeout))
            }
            // Most requests are far below the limit; compute the exact frame size only near it. (Each
            // metadata entry adds at most 8 bytes of tags and lengths to its key and value.)
            let metadataEstimate =
                request.metadata.isEmpty ? 0 : request.metadata.encodedBytes + 8 * request.metadata.count
            if request.payload.count + request.service.utf8.count + request.method.utf8.count + metadataEstimate + 64
                > self.maximumFrameLength
            {
                let header = FrameHeader.request(
                    id: request.id, service: request.service, method: request.method, deadlineMilliseconds: 1,
                    metadata: request.metadata
                )
                let length = ByteBuffer.krpcFrameLength(header: header, payloadLength: request.payload.count)
                if length > self.maximumFrameLength {
                    let message = "request frame of \(length) bytes exceeds the maximum \(self.maximumFrameLength)"
                    return .fail(continuation, ActionError(.frameTooLarge, message))
                }
            }
            switch self.phase {
            case .closed:
                return .fail(continuation, self.closedError)
            case .backingOff(let until, let error) where now < until:
                let message =
                    "not connected to \(self.address); next attempt in \((until - now) / 1_000_000) ms after: \(error.message)"
                return .fail(continuation, ActionError(KRPCError(code: .unavailable, message: message, cause: error.cause)))
            case .idle, .backingOff:
                let attempt = self.beginConnecting()
                return .connect(attempt: attempt, timer: self.register(request, continuation, queued: true))
            case .connecting:
                return .queued(timer: self.register(request, continuation, queued: true))
            case .ready:
                let header = FrameHeader.request(
                    id: request.id,
                    service: request.service,
                    method: request.method,
                    deadlineMilliseconds: Self.milliseconds(request.deadline &- now),
                    metadata: request.metadata
                )
                return .write(header, timer: self.register(request, continuation, queued: false))
            }
        }

        /// The calling task of `id` was cancelled.
        mutating func cancel(id: UInt64) -> EndAction {
            guard let call = self.calls.removeValue(forKey: id) else { return .none }
            return .fail(call.continuation, .init(.cancelled("\(call.service).\(call.method)")), sendCancel: self.wasSent(call))
        }

        /// A RESPONSE frame for `id` with `status` (0 = ok) and `message`.
        mutating func responseReceived(id: UInt64, status: Int32, message: String) -> ResponseAction {
            guard let call = self.calls.removeValue(forKey: id) else { return .none }
            if status == 0 { return .succeed(call.continuation) }
            return .fail(call.continuation, ActionError(KRPCError.Code(rawValue: status), message))
        }

        // MARK: Connecting

        /// ``NodeConnection/connect()`` at `now`.
        mutating func connectRequested(_ waiter: Waiter, now: UInt64) -> ConnectAction {
            switch self.phase {
            case .ready:
                return .resume(waiter, nil)
            case .closed:
                return .resume(waiter, self.closedError)
            case .backingOff(let until, let error) where now < until:
                return .resume(waiter, ActionError(error))
            case .idle, .backingOff:
                self.connectWaiters.append(waiter)
                return .connect(attempt: self.beginConnecting())
            case .connecting:
                self.connectWaiters.append(waiter)
                return .none
            }
        }

        /// Attempt `attempt` connected at `now`.
        mutating func connected(attempt: UInt64, now: UInt64) -> ConnectedAction {
            guard case .connecting(attempt) = self.phase else { return .closeChannel }
            self.phase = .ready(attempt: attempt)
            self.backoff.reset()
            var writes: [QueuedWrite] = []
            writes.reserveCapacity(self.waiting.count)
            for id in self.waiting {
                guard var call = self.calls[id], let payload = call.unsent else { continue }
                let metadata = call.unsentMetadata
                call.unsent = nil
                call.unsentMetadata = KRPCMetadata()
                self.calls[id] = call
                let header = FrameHeader.request(
                    id: id,
                    service: call.service,
                    method: call.method,
                    deadlineMilliseconds: Self.milliseconds(call.deadline &- min(now, call.deadline)),
                    metadata: metadata
                )
                writes.append(QueuedWrite(header: header, payload: payload))
            }
            self.waiting.removeAll()
            defer { self.connectWaiters.removeAll() }
            return .ready(writes: writes, waiters: self.connectWaiters)
        }

        /// Attempt `attempt` failed at `now` with `cause`: back off.
        mutating func connectFailed(attempt: UInt64, cause: any Error, now: UInt64) -> ConnectFailedAction {
            guard case .connecting(attempt) = self.phase else { return .none }
            let delay = self.backoff.next(using: &self.random)
            let error = KRPCError(code: .unavailable, message: "cannot connect to \(self.address): \(cause)", cause: cause)
            let (until, overflow) = now.addingReportingOverflow(delay.nanoseconds)
            self.phase = .backingOff(until: overflow ? .max : until, error: error)
            var failed: [Continuation] = []
            for id in self.waiting {
                if let call = self.calls.removeValue(forKey: id) { failed.append(call.continuation) }
            }
            self.waiting.removeAll()
            defer { self.connectWaiters.removeAll() }
            return .backingOff(error: ActionError(error), retryIn: delay, calls: failed, waiters: self.connectWaiters)
        }

        /// The channel of attempt `attempt` closed: every call in flight fails with `error`.
        mutating func channelClosed(attempt: UInt64, error: KRPCError) -> ClosedAction {
            guard case .ready(attempt) = self.phase else { return .none }
            self.phase = .idle
            return .failAll(error: ActionError(error), calls: self.takeAllCalls(), waiters: [])
        }

        /// ``NodeConnection/close()``: for good.
        mutating func closeRequested() -> ClosedAction {
            if case .closed = self.phase { return .none }
            self.phase = .closed
            let error = ActionError(.unavailable, "connection to \(self.address) was closed by the client")
            defer { self.connectWaiters.removeAll() }
            return .failAll(error: error, calls: self.takeAllCalls(), waiters: self.connectWaiters)
        }

        // MARK: Deadlines

        /// The timer fired at `now`.
        mutating func timerFired(now: UInt64) -> TimerOutcome {
            self.timer.fired()
            var outcome = TimerOutcome()
            while let top = self.timer.popExpired(now: now, isCurrent: { self.calls[$0.id]?.deadline == $0.deadline }) {
                guard let call = self.calls.removeValue(forKey: top.id) else { continue }
                outcome.expired.append(
                    Expired(
                        continuation: call.continuation,
                        error: self.deadlineError(call.service, call.method, call.timeout),
                        sendCancel: self.wasSent(call),
                        id: top.id
                    )
                )
            }
            outcome.timer = self.timer.rearm()
            return outcome
        }

        // MARK: Internals

        private var closedError: ActionError {
            ActionError(.unavailable, "connection to \(self.address) is closed")
        }

        private mutating func beginConnecting() -> UInt64 {
            self.attempts += 1
            self.phase = .connecting(attempt: self.attempts)
            return self.attempts
        }

        private mutating func register(_ request: Request, _ continuation: Continuation, queued: Bool) -> ConnectionTimer.Action {
            self.calls[request.id] = Pending(
                continuation: continuation,
                deadline: request.deadline,
                timeout: request.timeout,
                service: request.service,
                method: request.method,
                unsent: queued ? request.payload : nil,
                unsentMetadata: queued ? request.metadata : KRPCMetadata()
            )
            if queued { self.waiting.append(request.id) }
            return self.timer.add(deadline: request.deadline, id: request.id, liveCount: self.calls.count) {
                self.calls.map { .init(deadline: $0.value.deadline, id: $0.key) }
            }
        }

        /// Whether the server has the request (so that a CANCEL means something to it).
        private func wasSent(_ call: Pending) -> Bool {
            guard call.unsent == nil, case .ready = self.phase else { return false }
            return true
        }

        private mutating func takeAllCalls() -> [Continuation] {
            let continuations = self.calls.values.map(\.continuation)
            self.calls.removeAll()
            self.waiting.removeAll()
            self.timer.removeAll()
            return continuations
        }

        private func deadlineError(_ service: String, _ method: String, _ timeout: Duration) -> ActionError {
            ActionError(
                .deadlineExceeded,
                "\(service).\(method) on \(self.address) exceeded its deadline of \(Self.milliseconds(timeout)) ms"
            )
        }

        /// Whole milliseconds, for messages (a Duration prints as `4.9997204150000005 seconds`).
        private static func milliseconds(_ d: Duration) -> Int64 {
            let (seconds, attoseconds) = d.components
            return seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000
        }

        /// Milliseconds for the wire, rounded up so that a call with time left never sends 0 ("none").
        static func milliseconds(_ nanoseconds: UInt64) -> UInt32 {
            UInt32(clamping: max(1, (nanoseconds + 999_999) / 1_000_000))
        }
    }
}

extension ConnectionCore.StateMachine.StartAction: Equatable where Continuation: Equatable {}
extension ConnectionCore.StateMachine.EndAction: Equatable where Continuation: Equatable {}
extension ConnectionCore.StateMachine.ResponseAction: Equatable where Continuation: Equatable {}
extension ConnectionCore.StateMachine.ConnectAction: Equatable where Waiter: Equatable {}
extension ConnectionCore.StateMachine.QueuedWrite: Equatable {}
extension ConnectionCore.StateMachine.ConnectedAction: Equatable where Waiter: Equatable {}
extension ConnectionCore.StateMachine.ConnectFailedAction: Equatable where Continuation: Equatable, Waiter: Equatable {}
extension ConnectionCore.StateMachine.ClosedAction: Equatable where Continuation: Equatable, Waiter: Equatable {}
extension ConnectionCore.StateMachine.Expired: Equatable where Continuation: Equatable {}
extension ConnectionCore.StateMachine.TimerOutcome: Equatable where Continuation: Equatable {}
