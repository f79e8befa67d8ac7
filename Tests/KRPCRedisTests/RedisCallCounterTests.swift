import KRPC
import KRPCPolicy
import KRPCTestSupport
import Logging
import Synchronization
import Testing

@testable import KRPCRedis

@Suite("RedisCallCounter against a real Redis", .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set"))
struct RedisCallCounterTests {
    @Test("300 calls over three nodes: the hash fields sum to exactly 300 within 1 s")
    func threeHundred() async throws {
        let key = RedisTest.uniqueKey()
        let nodes = (0..<3).map { NodeAddress(host: "127.0.0.1", port: 8000 + 1000 * $0) }
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let counter = RedisCallCounter(client: client, logger: RedisTest.quietLogger)
            let flusher = Task { await counter.run() }
            // Recorded from several tasks at once, as a server's event loops would.
            await withDiscardingTaskGroup { group in
                for worker in 0..<6 {
                    group.addTask {
                        for i in 0..<50 {
                            counter.recordCall(key, node: nodes[(worker + i) % 3], failed: i % 10 == 0)
                        }
                    }
                }
            }
            let lastCall = ContinuousClock.now
            var totals = CallTotals(key: key)
            try await waitUntil("the counts of \(key) to reach 300", timeout: .seconds(10)) {
                totals = try await counter.clusterTotals(of: key)
                return totals.calls >= 300
            }
            let elapsed = ContinuousClock.now - lastCall
            #expect(totals.calls == 300)
            #expect(totals.errors == 30)
            #expect(totals.callsByNode == [nodes[0]: 100, nodes[1]: 100, nodes[2]: 100])
            #expect(totals.malformed.isEmpty)
            #expect(elapsed < .seconds(1), "counts reached Redis \(elapsed) after the last call")
            #expect(counter.statistics.flushedCalls == 300)

            flusher.cancel()
            await flusher.value
            await RedisTest.delete([RedisKeys.calls(key), RedisKeys.errors(key)], using: client)
        }
    }

    @Test("a graceful shutdown flushes what is still waiting")
    func shutdownFlushes() async throws {
        let key = RedisTest.uniqueKey()
        let node = RedisTest.uniqueNode()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            // A flush interval far longer than the test: only the shutdown flush can deliver.
            let counter = RedisCallCounter(
                client: client,
                configuration: .init(flushInterval: .seconds(3600)),
                logger: RedisTest.quietLogger
            )
            let flusher = Task { await counter.run() }
            for i in 0..<7 { counter.recordCall(key, node: node, failed: i < 2) }
            counter.beginGracefulShutdown()
            flusher.cancel()  // the sleep is long; cancellation must still flush (in a task of its own)
            await flusher.value
            let totals = try await counter.clusterTotals(of: key)
            #expect(totals.callsByNode == [node: 7])
            #expect(totals.errorsByNode == [node: 2])
            await RedisTest.delete([RedisKeys.calls(key), RedisKeys.errors(key)], using: client)
        }
    }

    @Test("the flush script adds only what Redis lacks from the instance: re-sent or older totals add nothing")
    func scriptIsIdempotent() async throws {
        let key = RedisTest.uniqueKey()
        let node = RedisTest.uniqueNode()
        let marker = RedisTest.unique("krpc:flush:test-")
        let slot = CallCountBuffer.Slot(key: key, node: node)
        func batch(_ sequence: Int, confirmed: Int, calls: Int) -> CallCountBuffer.Batch {
            .init(
                sequence: sequence, confirmedSequence: confirmed,
                entries: [(slot: slot, totals: .init(calls: calls, errors: 1))]
            )
        }
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let first = FlushScript.command(for: batch(1, confirmed: 0, calls: 5), marker: marker)
            func reply(marker: Int64, previous: [Int64]) -> RedisValue {
                .array([.integer(marker), .array(previous.map { .integer($0) }), .array([])])
            }
            #expect(try await client.send(first) == reply(marker: 0, previous: [0, 0]))
            // Re-sent (its reply was lost): Redis has the totals already, adds nothing.
            #expect(try await client.send(first) == reply(marker: 1, previous: [5, 1]))
            // Batch 3 before batch 2: the newer totals apply; the older ones then add nothing.
            _ = try await client.send(FlushScript.command(for: batch(3, confirmed: 1, calls: 9), marker: marker))
            let late = try await client.send(FlushScript.command(for: batch(2, confirmed: 1, calls: 7), marker: marker))
            #expect(late.array?.first == .integer(3))  // the marker keeps the highest sequence
            let totals = try await CallTotals.read(key, from: client)
            #expect(totals.callsByNode == [node: 9])
            #expect(totals.errorsByNode == [node: 1])
            let contribution = FlushScript.contributionField(key: RedisKeys.calls(key), field: RedisKeys.field(node))
            #expect(try await client.send("HGET", marker, contribution).integer == 9)
            let ttl = try await client.send("TTL", marker).integer ?? -1
            #expect(ttl > 0 && ttl <= FlushScript.markerTTLSeconds)
            await RedisTest.delete([RedisKeys.calls(key), RedisKeys.errors(key), marker], using: client)
        }
    }

    @Test("two instances counting into the same field each put back only their own lost part")
    func twoInstancesRollback() async throws {
        let key = RedisTest.uniqueKey()
        let node = RedisTest.uniqueNode()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let one = RedisCallCounter(client: client, logger: RedisTest.quietLogger)
            let two = RedisCallCounter(
                client: client, configuration: .init(markerCheckInterval: .zero), logger: RedisTest.quietLogger)
            one.recordCalls(key, node: node, calls: 10, errors: 0)
            two.recordCalls(key, node: node, calls: 100, errors: 0)
            try await one.flush()
            try await two.flush()
            // What a snapshot taken now holds, by hand: the field and both markers.
            let field = RedisKeys.field(node)
            let contribution = FlushScript.contributionField(key: RedisKeys.calls(key), field: field)
            let saved = (
                one: try await client.send("HGETALL", one.marker), two: try await client.send("HGETALL", two.marker)
            )
            one.recordCalls(key, node: node, calls: 20, errors: 0)
            two.recordCalls(key, node: node, calls: 200, errors: 0)
            try await one.flush()
            try await two.flush()
            #expect(try await CallTotals.read(key, from: client).callsByNode == [node: 330])
            // "Restore the snapshot": the field back to 110, both markers back to their saved state.
            _ = try await client.send("HSET", RedisKeys.calls(key), field, "110")
            for (marker, hash) in [(one.marker, saved.one), (two.marker, saved.two)] {
                _ = try await client.send("DEL", marker)
                let fields = (hash.array ?? []).compactMap(\.string)
                _ = try await client.send(RedisCommand(arguments: ["HSET", marker] + fields))
            }
            #expect(try await client.send("HGET", one.marker, contribution).integer == 10)
            one.recordCalls(key, node: node, calls: 1, errors: 0)
            try await one.flush()  // finds the rollback, puts back its own 20 with the new call
            try await two.flushOrCheckMarker()  // idle: only the marker check; finds the rollback
            try await two.flush()  // then sends its totals: puts back 200
            #expect(try await CallTotals.read(key, from: client).callsByNode == [node: 331])
            #expect(one.statistics.rollbacks == 1 && one.statistics.restoredCalls == 20)
            #expect(two.statistics.rollbacks == 1 && two.statistics.restoredCalls == 200)
            await RedisTest.delete([RedisKeys.calls(key), one.marker, two.marker], using: client)
        }
    }

    @Test("the shutdown message says why counts were lost: Redis refused the flush (here: a marker of the wrong type)")
    func shutdownRefused() async throws {
        let key = RedisTest.uniqueKey()
        let node = RedisTest.uniqueNode()
        let capture = LogCapture()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let counter = RedisCallCounter(
                client: client,
                configuration: .init(flushInterval: .seconds(3600), shutdownFlushTimeout: .milliseconds(200)),
                logger: capture.logger()
            )
            _ = try await client.send("SET", counter.marker, "not-a-hash")
            for _ in 0..<4 { counter.recordCall(key, node: node, failed: false) }
            counter.beginGracefulShutdown()
            await counter.run()
            let lost = capture.entries(.warning, containing: "redis refused the last count flush at shutdown")
            #expect(lost.count == 1)
            #expect(lost.first?.metadata["krpc.lost_calls"] == "4")
            #expect(lost.first?.metadata["redis.reply"]?.contains("WRONGTYPE") == true)
            #expect(capture.entries(.warning, containing: "unreachable").isEmpty)
            await RedisTest.delete([counter.marker], using: client)
        }
    }

    @Test("the shutdown message says why counts were lost: Redis unreachable")
    func shutdownUnreachable() async throws {
        let capture = LogCapture()
        try await RedisTest.withClient(try RedisTest.fastReconnecting("127.0.0.1:\(TCPProbe.freePort())")) { client in
            let counter = RedisCallCounter(
                client: client,
                configuration: .init(flushInterval: .seconds(3600), shutdownFlushTimeout: .milliseconds(200)),
                logger: capture.logger()
            )
            counter.recordCall(RedisTest.uniqueKey(), node: RedisTest.uniqueNode(), failed: true)
            counter.beginGracefulShutdown()
            await counter.run()
            let lost = capture.entries(.warning, containing: "redis unreachable at shutdown")
            #expect(lost.count == 1)
            #expect(lost.first?.metadata["krpc.lost_calls"] == "1")
            #expect(lost.first?.metadata["krpc.lost_errors"] == "1")
            #expect(lost.first?.metadata["redis.error"] != nil)
        }
    }

    @Test("a flush whose reply is lost (it ran in Redis) is sent again and counted once")
    func lostReply() async throws {
        let (host, port) = try TestEnvironment.address(of: .redis)
        let proxy = try LossyProxy(upstreamHost: host, upstreamPort: port)
        defer { proxy.close() }
        let key = RedisTest.uniqueKey()
        let node = RedisTest.uniqueNode()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { direct in
            try await RedisTest.withClient(try RedisTest.fastReconnecting("127.0.0.1:\(proxy.port)")) { client in
                let counter = RedisCallCounter(client: client, logger: RedisTest.quietLogger)
                try await client.connect()
                for i in 0..<5 { counter.recordCall(key, node: node, failed: i == 0) }
                proxy.loseNextReply()
                do throws(RedisError) {
                    try await counter.flush()
                    Issue.record("the flush's reply was lost: it must fail")
                } catch {
                    #expect(error.code == .connectionLost)
                }
                #expect(proxy.lost == 1)
                #expect(counter.statistics.waitingCalls == 5)
                // It did run: Redis has the counts already.
                #expect(try await CallTotals.read(key, from: direct).callsByNode == [node: 5])

                for _ in 0..<3 { counter.recordCall(key, node: node, failed: false) }
                try await counter.flush()  // re-sends the lost batch: recognised as applied
                try await counter.flush()  // then the newer counts
                let totals = try await CallTotals.read(key, from: direct)
                #expect(totals.callsByNode == [node: 8])
                #expect(totals.errorsByNode == [node: 1])
                #expect(counter.statistics.flushedCalls == 8 && counter.statistics.waitingCalls == 0)
            }
            await RedisTest.delete([RedisKeys.calls(key), RedisKeys.errors(key)], using: direct)
        }
    }

    @Test("a non-integer value in the hash: Redis refuses that count, the rest are applied, a warning says so")
    func refusedField() async throws {
        let key = RedisTest.uniqueKey()
        let poisoned = RedisTest.uniqueNode()
        let healthy = RedisTest.uniqueNode()
        let capture = LogCapture()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            _ = try await client.send("HSET", RedisKeys.calls(key), RedisKeys.field(poisoned), "not-a-number")
            let counter = RedisCallCounter(client: client, logger: capture.logger())
            for _ in 0..<3 { counter.recordCall(key, node: poisoned, failed: false) }
            for _ in 0..<4 { counter.recordCall(key, node: healthy, failed: false) }
            try await counter.flush()

            let totals = try await counter.clusterTotals(of: key)
            #expect(totals.callsByNode == [healthy: 4])
            #expect(totals.malformed.map(\.field) == [RedisKeys.field(poisoned)])
            let statistics = counter.statistics
            #expect(statistics.flushedCalls == 4 && statistics.refusedCalls == 3 && statistics.waitingCalls == 0)
            #expect(capture.entries(.warning, containing: "refused").count == 1)
            await RedisTest.delete([RedisKeys.calls(key)], using: client)
        }
    }

    @Test("logTotals logs the cluster-wide count as the seed does")
    func logsTotals() async throws {
        let key = RedisTest.uniqueKey(method: "Login")
        let capture = LogCapture()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let counter = RedisCallCounter(client: client, logger: capture.logger())
            for i in 0..<23 {
                counter.recordCall(key, node: NodeAddress(host: "127.0.0.1", port: 8000 + i % 2), failed: false)
            }
            try await counter.flush()
            let logger = Task { await counter.logTotals(of: [key], every: .milliseconds(20)) }
            try await waitUntil("the count to be logged", timeout: .seconds(10)) {
                !capture.entries(.info, containing: "Current login request count: 23").isEmpty
            }
            logger.cancel()
            await logger.value
            await RedisTest.delete([RedisKeys.calls(key)], using: client)
        }
    }
}

/// What a test recorded, to compare with Redis.
final class Tally: Sendable {
    private let counts = Mutex((calls: 0, errors: 0))
    func add(failed: Bool) {
        self.counts.withLock {
            $0.calls += 1; $0.errors += failed ? 1 : 0
        }
    }
    var calls: Int { self.counts.withLock { $0.calls } }
    var errors: Int { self.counts.withLock { $0.errors } }
}

@Suite(
    "RedisCallCounter with a private Redis (outage, bound)",
    .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set (redis-server may be missing)")
)
struct RedisCallCounterOutageTests {
    @Test("Redis stopped for a few seconds in the middle of a counting run, then restarted: totals still exact")
    func outage() async throws {
        let redis = try await RedisProcess()
        defer { redis.stop() }
        let key = RedisTest.uniqueKey()
        let nodes = (0..<3).map { NodeAddress(host: "127.0.0.1", port: 8000 + 1000 * $0) }
        let tally = Tally()
        let stopRecording = Mutex(false)

        let client = try RedisClient(
            configuration: try RedisTest.fastReconnecting(redis.address),
            logger: RedisTest.quietLogger
        )
        let counter = RedisCallCounter(client: client, logger: RedisTest.quietLogger)
        let flusher = Task { await counter.run() }
        // About 1000 calls/s, from the concurrency pool like a server's handlers.
        let recorder = Task {
            var i = 0
            while !stopRecording.withLock({ $0 }) {
                for _ in 0..<5 {
                    let failed = i % 7 == 0
                    counter.recordCall(key, node: nodes[i % 3], failed: failed)
                    tally.add(failed: failed)
                    i += 1
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }

        try await waitUntil("counts to flow before the outage", timeout: .seconds(10)) {
            counter.statistics.flushedCalls >= 300
        }
        // Stop Redis with its data saved (a restarted Redis without persistence would start empty).
        try await RedisTest.withClient(try RedisConfiguration(address: redis.address)) { admin in
            _ = try? await admin.send("SHUTDOWN", "SAVE")  // the server closes the connection: no reply
        }
        redis.stop()
        let atOutage = tally.calls
        try await waitUntil("the counter to see Redis down", timeout: .seconds(10)) { client.state == .disconnected }
        // Keep it down while at least 2000 more calls (about two seconds' worth) are recorded.
        try await waitUntil("2000 calls recorded during the outage", timeout: .seconds(30)) {
            tally.calls - atOutage >= 2000
        }
        #expect(counter.statistics.waitingCalls > 0)
        try await redis.start()
        let atRestart = counter.statistics.flushedCalls
        try await waitUntil("counts to flow after the restart", timeout: .seconds(15)) {
            counter.statistics.flushedCalls > atRestart + 300
        }
        stopRecording.withLock { $0 = true }
        await recorder.value

        let expected = (calls: tally.calls, errors: tally.errors)
        var totals = CallTotals(key: key)
        try await waitUntil("Redis to hold every recorded call (\(expected.calls))", timeout: .seconds(10)) {
            totals = try await counter.clusterTotals(of: key)
            return counter.statistics.waitingCalls == 0 && totals.calls >= expected.calls
        }
        #expect(totals.calls == expected.calls)
        #expect(totals.errors == expected.errors)
        #expect(counter.statistics.droppedCalls == 0)
        #expect(counter.statistics.flushedCalls == expected.calls)

        flusher.cancel()
        await flusher.value
        await client.shutdown()
    }

    @Test("past maxTrackedSlots, calls to new nodes are dropped and counted with one warning; the rest arrive")
    func bounded() async throws {
        let port = TCPProbe.freePort()
        let key = RedisTest.uniqueKey()
        let (a, b, c) = (RedisTest.uniqueNode(), RedisTest.uniqueNode(), RedisTest.uniqueNode())
        let capture = LogCapture()
        let client = try RedisClient(
            configuration: try RedisTest.fastReconnecting("127.0.0.1:\(port)"),
            logger: RedisTest.quietLogger
        )
        let counter = RedisCallCounter(
            client: client,
            configuration: .init(flushInterval: .milliseconds(20), maxTrackedSlots: 2),
            logger: capture.logger()
        )
        let flusher = Task { await counter.run() }
        for _ in 0..<5 { counter.recordCall(key, node: a, failed: false) }
        for _ in 0..<3 { counter.recordCall(key, node: b, failed: true) }
        for _ in 0..<4 { counter.recordCall(key, node: c, failed: true) }  // a third slot: over the bound
        #expect(counter.statistics.droppedCalls == 4)
        #expect(counter.statistics.droppedErrors == 4)
        try await waitUntil("a warning about dropped counts", timeout: .seconds(10)) {
            !capture.entries(.warning, containing: "dropped").isEmpty
        }
        #expect(capture.entries(.warning, containing: "dropped").first?.metadata["krpc.dropped_calls"] == "4")

        let redis = try await RedisProcess(port: port)
        defer { redis.stop() }
        var totals = CallTotals(key: key)
        try await waitUntil("the kept counts to reach Redis", timeout: .seconds(15)) {
            totals = (try? await counter.clusterTotals(of: key)) ?? totals
            return totals.calls >= 8
        }
        #expect(totals.callsByNode == [a: 5, b: 3])
        #expect(totals.errorsByNode == [b: 3])
        // The bound is on slots for the counter's life (their totals are what it re-applies after Redis
        // loses counts): the third node stays out; the two counted ones go on counting.
        counter.recordCall(key, node: c, failed: false)
        counter.recordCall(key, node: a, failed: false)
        #expect(counter.statistics.droppedCalls == 5)
        try await waitUntil("a's sixth call to arrive", timeout: .seconds(10)) {
            (try? await counter.clusterTotals(of: key))?.callsByNode[a] == 6
        }
        #expect(try await counter.clusterTotals(of: key).callsByNode[c] == nil)
        #expect(capture.entries(.warning, containing: "dropped").count == 1)

        flusher.cancel()
        await flusher.value
        await client.shutdown()
    }
}
