import Dispatch
import Synchronization
import Testing

@testable import KRPC

@Suite("EventBroadcaster")
struct EventBroadcasterTests {
    /// Everything `stream` yields until it finishes; fails after `limit` (a stream that never finishes).
    private static func collect<T: Sendable>(_ stream: AsyncStream<T>, limit: Duration = .seconds(10)) async throws -> [T] {
        try await withTimeout(limit, "the stream to finish") {
            var all: [T] = []
            for await element in stream { all.append(element) }
            return all
        }
    }

    @Test("a subscriber gets its initial elements, then what is enqueued after, in order, then the end")
    func orderAndEnd() async throws {
        let broadcaster = EventBroadcaster<Int>(bufferingPolicy: .unbounded)
        let stream = broadcaster.subscribe(initial: [1, 2])
        for i in 3...5 { broadcaster.yield(i) }
        broadcaster.finish()
        #expect(try await Self.collect(stream) == [1, 2, 3, 4, 5])
    }

    @Test("a subscriber after the end gets its initial elements and a finished stream")
    func lateSubscriberIsFinished() async throws {
        let broadcaster = EventBroadcaster<String>(bufferingPolicy: .bufferingNewest(4))
        broadcaster.yield("before anyone listened")
        broadcaster.finish()
        #expect(broadcaster.isFinished)
        #expect(try await Self.collect(broadcaster.subscribe()) == [])
        #expect(try await Self.collect(broadcaster.subscribe(initial: ["closed"])) == ["closed"])
        #expect(broadcaster.subscriberCount == 0)
        broadcaster.yield("after the end")  // ignored, not a crash
    }

    @Test("bufferingNewest(3): a consumer that lags gets the newest 3 elements, never the oldest")
    func bufferingPolicyKeepsNewest() async throws {
        let broadcaster = EventBroadcaster<Int>(bufferingPolicy: .bufferingNewest(3))
        let stream = broadcaster.subscribe()
        for i in 0..<10 { broadcaster.yield(i) }  // nobody reads yet
        broadcaster.finish()
        #expect(try await Self.collect(stream) == [7, 8, 9])
    }

    @Test("enqueue under the owner's lock, deliver after: elements reach subscribers only on deliver, in order")
    func enqueueThenDeliver() async throws {
        let broadcaster = EventBroadcaster<Int>(bufferingPolicy: .unbounded)
        let owner = Mutex(0)
        let stream = owner.withLock { _ in broadcaster.subscribe(initial: [0], deliverNow: false) }
        owner.withLock { value in
            for i in 1...3 {
                value = i
                broadcaster.enqueue(i)
            }
        }
        broadcaster.enqueueFinish()
        var iterator = stream.makeAsyncIterator()
        broadcaster.deliver()
        var seen: [Int] = []
        while let element = await iterator.next() { seen.append(element) }
        #expect(seen == [0, 1, 2, 3])
    }

    @Test("a cancelled subscriber is removed at once (no deferred task), and its hook runs")
    func terminationIsSynchronous() async throws {
        let broadcaster = EventBroadcaster<Int>(bufferingPolicy: .bufferingNewest(8))
        let gone = Atomic<Int>(0)
        let stream = broadcaster.subscribe(onTermination: { gone.add(1, ordering: .relaxed) })
        let started = Atomic<Bool>(false)
        let consumer = Task {
            started.store(true, ordering: .relaxed)
            for await _ in stream {}
        }
        try await waitUntil("the consumer to start") { started.load(ordering: .relaxed) }
        #expect(broadcaster.subscriberCount == 1)
        consumer.cancel()
        await consumer.value
        // Synchronous: by the time the consumer's iteration ended, it was unsubscribed.
        #expect(broadcaster.subscriberCount == 0)
        #expect(gone.load(ordering: .relaxed) == 1)

        _ = broadcaster.subscribe(onTermination: { gone.add(1, ordering: .relaxed) })  // dropped at once
        #expect(broadcaster.subscriberCount == 0)
        #expect(gone.load(ordering: .relaxed) == 2)
    }

    /// The deadlock the broadcaster exists to prevent: a subscriber's termination (which runs while the runtime
    /// holds the consumer task's status lock) takes the owner's lock, while another thread yields. Yielding
    /// under that lock deadlocked; here the owner only enqueues under it.
    @Test("no deadlock: subscribers cancelled while another thread delivers, termination taking the owner's lock")
    func noDeadlockWhenTerminationRacesDelivery() async throws {
        let broadcaster = EventBroadcaster<Int>(bufferingPolicy: .bufferingNewest(16))
        let owner = Mutex(0)
        let stop = Atomic<Bool>(false)
        let producerDone = Atomic<Bool>(false)
        DispatchQueue.global().async {
            var i = 0
            while !stop.load(ordering: .relaxed) {
                owner.withLock { value in
                    value += 1
                    broadcaster.enqueue(i)
                }
                broadcaster.deliver()
                i += 1
            }
            producerDone.store(true, ordering: .relaxed)
        }
        // Rounds for a while: each subscribes consumers that wait for elements, then cancels them while the
        // producer keeps delivering (the window is small, so many rounds).
        let churnUntil = ContinuousClock.now + .seconds(2)
        try await withTimeout(.seconds(30), "subscribe/cancel rounds against a busy producer") {
            while ContinuousClock.now < churnUntil {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        let stream = broadcaster.subscribe(onTermination: { owner.withLock { $0 -= 1 } })
                        group.addTask {
                            for await _ in stream {}
                        }
                    }
                    await Task.yield()
                    group.cancelAll()
                }
            }
        }
        stop.store(true, ordering: .relaxed)
        try await waitUntil("the producer to stop") { producerDone.load(ordering: .relaxed) }
        #expect(broadcaster.subscriberCount == 0)
    }

    @Test("concurrent producers: every subscriber sees each producer's elements in its order")
    func perProducerOrder() async throws {
        let broadcaster = EventBroadcaster<(producer: Int, index: Int)>(bufferingPolicy: .unbounded)
        let stream = broadcaster.subscribe()
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for index in 0..<500 { broadcaster.yield((producer, index)) }
                }
            }
        }
        broadcaster.finish()
        let all = try await Self.collect(stream)
        #expect(all.count == 2000)
        for producer in 0..<4 {
            #expect(all.filter { $0.producer == producer }.map(\.index) == Array(0..<500))
        }
    }
}

@Suite("WorkQueue")
struct WorkQueueTests {
    @Test("what was accepted is handed out, also after close; nothing is accepted after it")
    func acceptedIsConsumed() async {
        let queue = WorkQueue<Int>()
        #expect(queue.submit(1))
        #expect(queue.submit(2))
        queue.close()
        #expect(!queue.submit(3))
        #expect(await queue.next() == 1)
        #expect(await queue.next() == 2)
        #expect(await queue.next() == nil)
    }

    @Test("a waiting consumer gets the next element; cancelling it closes the queue but keeps what was accepted")
    func waitingAndCancellation() async {
        let queue = WorkQueue<Int>()
        let consumer = Task { await queue.next() }
        #expect(queue.submit(7))  // taken by the consumer, parked or not yet
        #expect(await consumer.value == 7)

        let cancelled = Task { () -> [Int?] in
            let first = await queue.next()  // nil: cancelled while waiting (or before)
            return [first]
        }
        cancelled.cancel()
        #expect(await cancelled.value == [nil])
        #expect(!queue.submit(8))  // closed by the cancellation
    }
}
