import Synchronization

/// A queue with one consumer that never loses what it accepted: how a long-running `run()` takes work from
/// other tasks (a channel's probes and hedged attempts, a registry's refreshes) to run as its own children.
///
/// Unlike an `AsyncStream`, whose buffered elements are dropped when the consumer is cancelled, this queue
/// only stops *accepting* when it is closed (by ``close()`` or by cancelling the consumer): ``next()`` still
/// hands out everything accepted before, then `nil`. So ``submit(_:)`` answering `true` means the element
/// will be consumed, and `false` means the submitter must do without (run it itself, or fail).
///
/// Unbounded: each owner states why its elements are bounded by something else.
package final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var buffer: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Element?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Accepts `element` unless the queue is closed.
    /// - Returns: whether it was accepted (it will then be handed out by ``next()``).
    @discardableResult
    package func submit(_ element: Element) -> Bool {
        let (accepted, waiter) = self.state.withLock { state -> (Bool, CheckedContinuation<Element?, Never>?) in
            guard !state.closed else { return (false, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            state.buffer.append(element)
            return (true, nil)
        }
        waiter?.resume(returning: element)
        return accepted
    }

    /// Stops accepting. What was accepted is still handed out by ``next()``. Calling it again does nothing.
    package func close() {
        let waiter = self.state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next element, waiting for one; `nil` once the queue is closed and empty. Cancelling the waiting task
    /// closes the queue. One consumer at a time.
    package func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready: Element?? = self.state.withLock { state in
                    if state.head < state.buffer.count {
                        let element = state.buffer[state.head]
                        state.head += 1
                        if state.head == state.buffer.count {
                            state.buffer.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .some(element)
                    }
                    if Task.isCancelled { state.closed = true }
                    if state.closed { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.close()
        }
    }
}
