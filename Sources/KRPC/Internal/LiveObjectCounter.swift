import NIOCore
import Synchronization

/// Counts the live instances of something (a server's connection handlers): incremented in their
/// `init`, decremented in their `deinit`. Touched once per connection, never per call; lets tests and
/// diagnostics see that closed connections are freed, and lets the server wait until they are.
///
/// A server connection handler lives as long as its calls' handler tasks (each task holds it to
/// answer), so "no handler left" also means "no handler task left": ``waitUntilZero(timeout:on:)``
/// is how `KRPCServer.run()` makes sure no task it started outlives it.
final class LiveObjectCounter: Sendable {
    private struct State {
        var count = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The number of instances alive now.
    var count: Int { self.state.withLock { $0.count } }

    func increment() { self.state.withLock { $0.count += 1 } }

    func decrement() {
        let waiters: [CheckedContinuation<Bool, Never>] = self.state.withLock { state in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Waits until no instance is alive, or until `timeout` has passed on `loop`'s timer (not
    /// `Task.sleep`: the wait keeps its bound when the waiting task was cancelled).
    ///
    /// - Returns: whether the count reached zero (false: the timeout ended the wait).
    func waitUntilZero(timeout: Duration, on loop: any EventLoop) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id: Int? = self.state.withLock { state in
                guard state.count > 0 else { return nil }
                let id = state.nextWaiter
                state.nextWaiter += 1
                state.waiters[id] = continuation
                return id
            }
            guard let id else { return continuation.resume(returning: true) }
            loop.scheduleTask(in: TimeAmount(timeout)) {
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
    }
}
