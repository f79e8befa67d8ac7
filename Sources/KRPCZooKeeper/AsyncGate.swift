import Synchronization

/// An async mutual-exclusion gate: one body at a time, in arrival order, without blocking a thread.
///
/// Registration writes go through it so that a deregistration can never be overtaken by a re-registration
/// computed from older state. Waiting is not cancellable; every body it guards is bounded by ZooKeeper's own
/// timeouts.
final class AsyncGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func withGate<R: Sendable>(_ body: () async throws -> R) async throws -> R {
        await self.acquire()
        defer { self.release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enter: Bool = self.state.withLock { state in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if enter { continuation.resume() }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()  // stays busy: ownership passes to the next waiter
        }
        next?.resume()
    }
}
