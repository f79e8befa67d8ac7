import NIOCore

extension KRPCChannel {
    /// Parks the calling task until the registry's first membership arrives, ``run()`` ends, `deadline`
    /// passes or the task is cancelled, whichever comes first. Nothing polls: ``run()`` resumes the waiters
    /// when membership arrives or it ends, a timer on the home loop at the deadline, the cancellation handler
    /// on cancellation.
    func waitForFirstMembership(until deadline: ContinuousClock.Instant) async {
        let id = self.state.withLock { s in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = self.state.withLock { s in
                    // Cancelled before parking: the handler found nothing to resume and left a mark.
                    if s.abandonedWaiters.remove(id) != nil || s.hasSeenMembership || s.stopped { return false }
                    s.membershipWaiters[id] = ChannelState.MembershipWaiter(continuation: continuation)
                    return true
                }
                guard parked else { return continuation.resume() }
                let delay = max(.zero, ContinuousClock.now.duration(to: deadline))
                let timer = self.homeEventLoop.scheduleTask(in: TimeAmount(delay)) {
                    self.wakeWaiter(id, cancelled: false)
                }
                let attached = self.state.withLock { s in
                    guard s.membershipWaiters[id] != nil else { return false }
                    s.membershipWaiters[id]?.timer = timer
                    return true
                }
                if !attached { timer.cancel() }  // woken meanwhile
            }
        } onCancel: {
            self.wakeWaiter(id, cancelled: true)
        }
        // The handler cannot run any more: forget a mark it left after the waiter was woken otherwise.
        _ = self.state.withLock { $0.abandonedWaiters.remove(id) }
    }

    /// Resumes the waiter `id` if it is parked. A cancellation that comes before it parked leaves a mark, so it
    /// does not park at all.
    private func wakeWaiter(_ id: UInt64, cancelled: Bool) {
        let waiter = self.state.withLock { s in
            let waiter = s.membershipWaiters.removeValue(forKey: id)
            if waiter == nil && cancelled { s.abandonedWaiters.insert(id) }
            return waiter
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume()
    }
}
