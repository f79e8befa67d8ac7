public import NIOCore

extension EventLoop {
    /// Waits until `instant` on this loop's own timer; throws `CancellationError` when the task is
    /// cancelled first.
    ///
    /// A task pinned to this loop (a task-executor preference) that sleeps this way is woken by the
    /// loop itself: no timer thread, no hop. `Task.sleep` would wake the concurrency runtime's timer
    /// and then hop back to the loop, two thread wake-ups per tick of the load generator.
    public func sleep(until instant: ContinuousClock.Instant) async throws {
        let delay = ContinuousClock.now.duration(to: instant)
        guard delay > .zero else {
            try Task.checkCancellation()
            return
        }
        let scheduled = self.scheduleTask(in: TimeAmount(delay)) {}
        try await withTaskCancellationHandler {
            do {
                try await scheduled.futureResult.get()
            } catch {
                throw CancellationError()
            }
        } onCancel: {
            scheduled.cancel()
        }
    }
}
