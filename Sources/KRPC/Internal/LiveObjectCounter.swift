import Synchronization

/// Counts the live instances of something (a server's connection handlers): incremented in their
/// `init`, decremented in their `deinit`. Touched once per connection, never per call; lets tests and
/// diagnostics see that closed connections are freed.
final class LiveObjectCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// The number of instances alive now.
    var count: Int { self.value.load(ordering: .relaxed) }

    func increment() { self.value.add(1, ordering: .relaxed) }
    func decrement() { self.value.subtract(1, ordering: .relaxed) }
}
