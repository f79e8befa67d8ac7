import Synchronization

/// Fans one sequence of events out to any number of `AsyncStream` subscribers: the channel's events, the
/// ZooKeeper client's session and watch events, a registry's state and membership streams.
///
/// Three rules, each the answer to a defect found before:
/// - **Nothing is yielded or finished under a lock.** `enqueue` only records what is to be delivered (under
///   the broadcaster's own lock, a leaf lock: it may be called while holding another one); `deliver` then
///   yields outside every lock. Yielding takes the consumer task's status lock, and a subscriber's
///   termination runs while the runtime holds that lock: yielding under a lock that termination also takes
///   was a lock-order deadlock.
/// - **Order is kept.** Every delivery goes through one queue, and one caller at a time drains it (the others
///   leave their elements to it), so every subscriber sees elements in the order they were enqueued, and an
///   initial element given at subscription is ordered before every later element.
/// - **A subscriber after the end gets a finished stream** (after its initial elements, if any).
///
/// Each subscriber's stream buffers by the policy given at creation; the owner states why it fits (usually
/// `.bufferingNewest(n)`: a consumer that lags loses the oldest elements, never the newest, and memory is
/// bounded).
///
/// ```swift
/// let events = EventBroadcaster<Event>(bufferingPolicy: .bufferingNewest(1024))
/// state.withLock { s in s.change(); events.enqueue(.changed) }   // under the owner's lock: ordered
/// events.deliver()                                                // outside it: yields
/// ```
package final class EventBroadcaster<Element: Sendable>: Sendable {
    private typealias Continuation = AsyncStream<Element>.Continuation

    private enum Delivery {
        case element(Element, to: [Continuation])
        case finish([Continuation])
    }

    private struct State {
        var subscribers: [UInt64: Continuation] = [:]
        var nextID: UInt64 = 0
        var queue: [Delivery] = []
        var delivering = false
        var finished = false
    }

    private let state = Mutex(State())
    private let bufferingPolicy: AsyncStream<Element>.Continuation.BufferingPolicy

    /// - Parameter bufferingPolicy: how each subscriber's stream buffers while its consumer lags.
    package init(bufferingPolicy: AsyncStream<Element>.Continuation.BufferingPolicy) {
        self.bufferingPolicy = bufferingPolicy
    }

    /// How many subscribers are attached.
    package var subscriberCount: Int { self.state.withLock { $0.subscribers.count } }

    /// Whether ``finish()`` was called.
    package var isFinished: Bool { self.state.withLock { $0.finished } }

    /// A new subscriber's stream: `initial` first, then every element enqueued from now on; finished when the
    /// broadcaster finishes (at once, after `initial`, when it has finished already).
    ///
    /// Safe to call under the owner's lock (that orders `initial` with the owner's state); the initial elements
    /// are delivered by the next ``deliver()``, which this call runs itself when `deliverNow` is true.
    /// - Parameter onTermination: runs once the subscriber is gone (its consumer cancelled or the stream
    ///   dropped or finished), after it was removed. It may run synchronously inside the Swift runtime's
    ///   task-cancellation path: it must not yield, resume or cancel anything; taking a lock that is never held
    ///   while doing those is fine.
    package func subscribe(
        initial: [Element] = [],
        deliverNow: Bool = true,
        onTermination: (@Sendable () -> Void)? = nil
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: self.bufferingPolicy)
        let id: UInt64? = self.state.withLock { state in
            for element in initial { state.queue.append(.element(element, to: [continuation])) }
            guard !state.finished else {
                state.queue.append(.finish([continuation]))
                return nil
            }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        if let id {
            // Synchronous: nothing holds our lock while yielding or finishing (see the type's rules).
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
                onTermination?()
            }
        }
        if deliverNow { self.deliver() }
        return stream
    }

    /// Records `element` for every current subscriber. Never yields: call ``deliver()`` after releasing the
    /// locks held here. Does nothing after ``finish()``.
    package func enqueue(_ element: Element) {
        self.state.withLock { state in
            guard !state.finished, !state.subscribers.isEmpty else { return }
            state.queue.append(.element(element, to: Array(state.subscribers.values)))
        }
    }

    /// Records the end: every subscriber's stream finishes after what was enqueued before; later subscribers get
    /// a finished stream. Never finishes a stream itself: call ``deliver()`` afterwards. Calling it again does
    /// nothing.
    package func enqueueFinish() {
        self.state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            state.queue.append(.finish(Array(state.subscribers.values)))
            state.subscribers = [:]
        }
    }

    /// Yields (and finishes) what is queued, in order. Call it holding no lock. When another caller is
    /// delivering already, it returns at once and that caller delivers these elements too.
    package func deliver() {
        while true {
            let batch: [Delivery]? = self.state.withLock { state in
                guard !state.delivering, !state.queue.isEmpty else { return nil }
                state.delivering = true
                defer { state.queue = [] }
                return state.queue
            }
            guard let batch else { return }
            for delivery in batch {
                switch delivery {
                case .element(let element, let continuations):
                    for continuation in continuations { continuation.yield(element) }
                case .finish(let continuations):
                    for continuation in continuations { continuation.finish() }
                }
            }
            // Checked again under the lock: elements enqueued while this batch went out are ours to deliver.
            let more = self.state.withLock { state in
                state.delivering = false
                return !state.queue.isEmpty
            }
            if !more { return }
        }
    }

    /// ``enqueue(_:)`` then ``deliver()``: for callers that hold no lock.
    package func yield(_ element: Element) {
        self.enqueue(element)
        self.deliver()
    }

    /// ``enqueueFinish()`` then ``deliver()``: for callers that hold no lock.
    package func finish() {
        self.enqueueFinish()
        self.deliver()
    }
}
