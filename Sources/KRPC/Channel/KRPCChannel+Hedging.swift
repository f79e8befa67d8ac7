import KRPCPolicy
import NIOCore
import Synchronization

extension KRPCChannel {
    private enum HedgeEvent: Sendable {
        case attempt(Result<ByteBuffer, KRPCError>, FailureKind?)
        case timer
    }

    private enum AttemptCommand: Sendable {
        case launch(ChannelState.Pick)
        case cancel
    }

    /// A first attempt, then a hedge on another node each time the hedging delay passes without an
    /// answer; a failure that counts is retried on another node. The first success wins.
    ///
    /// The call's attempts run in one task group, a child task of ``run()``: an attempt that lost the race keeps
    /// running to its own end after the call returned, and its outcome still reaches the node's breaker (a
    /// hanging node is then found out by its timeouts even though callers never wait for it). Cancelling the
    /// call cancels its attempts; ``run()`` ending cancels them too.
    func hedgedCall(_ request: Request) async -> Result<ByteBuffer, KRPCError> {
        guard let first = await self.pickFirst(request) else {
            return .failure(KRPCError(code: .unavailable, message: "no node serves \(self.key)"))
        }
        let (events, sink) = AsyncStream.makeStream(of: HedgeEvent.self)
        // Every launch accepted here is run (started cancelled when the call or run() was cancelled).
        let commands = WorkQueue<AttemptCommand>()
        let owned = self.submit {
            await withDiscardingTaskGroup { group in
                while let command = await commands.next() {
                    switch command {
                    case .launch(let pick):
                        group.addTask {
                            let (result, kind) = await self.attempt(pick, request)
                            sink.yield(.attempt(result, kind))
                        }
                    case .cancel:
                        group.cancelAll()  // attempts launched later start cancelled
                    }
                }
            }
        }
        guard owned else {
            self.withState { $0.finish(first, .ignored, now: .now) }
            return .failure(KRPCError(code: .unavailable, message: "the channel for \(self.key) is not running"))
        }
        let timer = Mutex<Scheduled<Void>?>(nil)
        func launch(_ pick: ChannelState.Pick) {
            guard commands.submit(.launch(pick)) else {
                // run() is ending: the attempt never starts.
                self.withState { $0.finish(pick, .ignored, now: .now) }
                sink.yield(.attempt(.failure(KRPCError(code: .unavailable, message: "the channel stopped")), nil))
                return
            }
        }
        // A timer on the home loop, not a sleeping task: arming and cancelling one costs no task
        // and no wake-up of another thread (one per call, as most calls beat the hedge delay).
        func arm(at instant: ContinuousClock.Instant) {
            let delay = max(.zero, ContinuousClock.now.duration(to: instant))
            let scheduled = self.homeEventLoop.scheduleTask(in: TimeAmount(delay)) {
                _ = sink.yield(.timer)
            }
            timer.withLock { $0?.cancel(); $0 = scheduled }
        }

        var tried: Set<NodeAddress> = [first.address]
        var pending = 1
        var hedgesStarted = 0
        var lastError = KRPCError(code: .unavailable, message: "no node serves \(self.key)")
        launch(first)
        if let due = self.configuration.hedging?.nextHedgeAt(startedAt: request.startedAt, extraAttemptsStarted: 0) {
            arm(at: due)
        }
        defer {
            timer.withLock { $0?.cancel() }
            sink.finish()
            commands.close()  // the attempts still running end on their own
        }
        return await withTaskCancellationHandler {
            for await event in events {
                switch event {
                case .attempt(.success(let response), _):
                    return .success(response)
                case .attempt(.failure(let error), let kind):
                    pending -= 1
                    lastError = error
                    guard let kind else { return .failure(error) }  // the caller's error: no other node does better
                    let retry = self.withState { s in
                        s.pickRetry(
                            after: kind, attemptsMade: tried.count, tried: tried, deadline: request.deadline,
                            hashKey: request.hashKey, now: .now
                        )
                    }
                    if let retry {
                        tried.insert(retry.address)
                        pending += 1
                        launch(retry)
                    } else if pending == 0 {
                        return .failure(error)
                    }
                case .timer:
                    guard pending > 0 else { continue }
                    let step = self.withState { s in
                        s.pickHedge(
                            startedAt: request.startedAt, hedgesStarted: hedgesStarted, tried: tried,
                            deadline: request.deadline, hashKey: request.hashKey, now: .now
                        )
                    }
                    switch step {
                    case .hedge(let pick):
                        hedgesStarted += 1
                        tried.insert(pick.address)
                        pending += 1
                        launch(pick)
                        if let next = self.configuration.hedging?.nextHedgeAt(
                            startedAt: request.startedAt, extraAttemptsStarted: hedgesStarted
                        ) {
                            arm(at: next)
                        }
                    case .wait(let until):
                        arm(at: until)
                    case .stop:
                        break
                    }
                }
            }
            return .failure(lastError)
        } onCancel: {
            commands.submit(.cancel)
        }
    }
}
