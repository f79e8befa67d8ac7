import KRPC
import KRPCPolicy
import KRPCTestSupport
import Logging
import Testing

@testable import KRPCRedis

@Suite("RedisFaultWatcher against a real Redis", .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set"))
struct RedisFaultWatcherTests {
    /// Runs `body` with a polling watcher of a node of its own and an injector on the same Redis.
    func withWatcher(
        honor: Bool = true,
        capture: LogCapture = LogCapture(),
        _ body: (RedisFaultWatcher, FaultInjector, NodeAddress) async throws -> Void
    ) async throws {
        let node = RedisTest.uniqueNode()
        let configuration = try RedisTest.sharedConfiguration()
        try await RedisTest.withClient(configuration) { watcherClient in
            try await RedisTest.withClient(configuration) { injectorClient in
                let watcher = RedisFaultWatcher(
                    client: watcherClient, node: node, honor: honor, logger: capture.logger())
                let injector = FaultInjector(client: injectorClient)
                let polling = Task { await watcher.run() }
                defer { polling.cancel() }
                try await waitUntil("the watcher's first poll", timeout: .seconds(10)) { watcher.pollCount > 0 }
                try await body(watcher, injector, node)
                try await injector.clear(node)
                polling.cancel()
                await polling.value
            }
        }
    }

    /// Waits until the watcher has completed two polls after now: the first may have read before a change
    /// made just before; the second started after it, so it saw it.
    func twoPolls(_ watcher: RedisFaultWatcher) async throws {
        let start = watcher.pollCount
        try await waitUntil("two more polls", timeout: .seconds(10), pollEvery: .milliseconds(1)) {
            watcher.pollCount >= start + 2
        }
    }

    @Test("each fault value set with a real SET is in force after two polls (≤ 200 ms at 50 ms polls); DEL clears it")
    func seesEveryValue() async throws {
        try await self.withWatcher { watcher, injector, node in
            #expect(watcher.configuration.pollInterval <= .milliseconds(100))
            #expect(watcher.currentFault() == nil)
            let faults: [Fault] = [.error, .timeout, .delay(milliseconds: 250), .errorRate(0.25)]
            for fault in faults {
                let setAt = ContinuousClock.now
                _ = try await injector.client.send("SET", RedisKeys.fault(node), fault.description)
                try await self.twoPolls(watcher)
                #expect(watcher.currentFault() == fault)
                let latency = ContinuousClock.now - setAt
                #expect(latency < .seconds(2), "\(fault) took \(latency) to apply")
            }
            _ = try await injector.client.send("DEL", RedisKeys.fault(node))
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == nil)
            #expect(watcher.observation == nil)
        }
    }

    @Test("a fault set with a TTL ends by itself")
    func ttlEnds() async throws {
        try await self.withWatcher { watcher, injector, node in
            try await injector.inject(.error, into: node, for: .milliseconds(600))
            try await self.twoPolls(watcher)
            // Seen (unless the machine stalled past the TTL, which the next expectation would also show).
            let ttl = watcher.observation?.timeToLive
            #expect(watcher.currentFault() == .error || ttl == nil)
            #expect(ttl.map { $0 <= .milliseconds(600) } ?? true)
            try await waitUntil("the fault to expire", timeout: .seconds(10)) { watcher.currentFault() == nil }
            // The watcher's local expiry may run a moment ahead of Redis's: wait for Redis too.
            try await waitUntil("Redis to expire the key", timeout: .seconds(10)) {
                try await injector.fault(of: node) == nil
            }
        }
    }

    @Test("honor: false never returns a fault and warns once that it saw one")
    func notHonored() async throws {
        let capture = LogCapture()
        try await self.withWatcher(honor: false, capture: capture) { watcher, injector, node in
            try await injector.inject(.error, into: node)
            try await self.twoPolls(watcher)
            #expect(watcher.observation?.fault == .error)  // seen…
            #expect(watcher.currentFault() == nil)  // …not applied
            try await self.twoPolls(watcher)
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == nil)
            let warnings = capture.entries(.warning, containing: "fault injection is off")
            #expect(warnings.count == 1)
            #expect(warnings.first?.metadata["krpc.fault"] == "error")
        }
    }

    @Test("a malformed value is ignored (no fault) with one warning each time the key takes it")
    func malformed() async throws {
        let capture = LogCapture()
        try await self.withWatcher(capture: capture) { watcher, injector, node in
            try await injector.inject(.timeout, into: node)
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == .timeout)

            try await injector.setRaw("explode", on: node)
            try await self.twoPolls(watcher)
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == nil)
            #expect(watcher.observation?.value == "explode")
            #expect(capture.entries(.warning, containing: "malformed").count == 1)

            try await injector.setRaw("error-rate:1.5", on: node)
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == nil)
            #expect(capture.entries(.warning, containing: "malformed").count == 2)

            // A key of the wrong type is malformed too, not a crash.
            _ = try await injector.client.send("DEL", RedisKeys.fault(node))
            _ = try await injector.client.send("HSET", RedisKeys.fault(node), "a", "b")
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == nil)
            #expect(capture.entries(.warning, containing: "malformed").count == 3)

            // Valid again, then the first bad value once more: a new occurrence, warned about again.
            try await injector.inject(.timeout, into: node)
            try await self.twoPolls(watcher)
            #expect(watcher.currentFault() == .timeout)
            try await injector.setRaw("explode", on: node)
            try await self.twoPolls(watcher)
            #expect(capture.entries(.warning, containing: "malformed").count == 4)
        }
    }
}

@Suite(
    "RedisFaultWatcher with a private Redis (outage)",
    .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set (redis-server may be missing)")
)
struct RedisFaultWatcherOutageTests {
    @Test("while Redis is unreachable the last fault holds for staleAfter, then the node is healthy again")
    func stale() async throws {
        let redis = try await RedisProcess()
        defer { redis.stop() }
        let node = RedisTest.uniqueNode()
        let capture = LogCapture()
        try await RedisTest.withClient(try RedisTest.fastReconnecting(redis.address)) { client in
            let watcher = RedisFaultWatcher(
                client: client,
                node: node,
                honor: true,
                configuration: .init(pollInterval: .milliseconds(20), staleAfter: .milliseconds(500)),
                logger: capture.logger()
            )
            let polling = Task { await watcher.run() }
            try await FaultInjector(client: client).inject(.error, into: node)
            try await waitUntil("the fault to apply", timeout: .seconds(10)) { watcher.currentFault() == .error }
            redis.stop()
            try await waitUntil("the stale fault to be dropped", timeout: .seconds(10)) {
                watcher.currentFault() == nil
            }
            // currentFault() honors the staleness deadline itself; the next failed poll logs it, once.
            try await waitUntil("the drop to be logged", timeout: .seconds(10)) {
                !capture.entries(.info, containing: "fault dropped").isEmpty
            }
            let polls = watcher.pollCount
            try await waitUntil("two more failed polls", timeout: .seconds(10)) { watcher.pollCount >= polls + 2 }
            #expect(capture.entries(.info, containing: "fault dropped").count == 1)
            polling.cancel()
            await polling.value
        }
    }
}
