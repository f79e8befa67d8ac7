import KRPC
import KRPCPolicy
import KRPCTestSupport
import KRPCWire
import Logging
import Testing

@testable import KRPCRedis

/// One real server (`Echo`) behind an in-memory registry and a channel calling it, for `body`.
private func withEchoChannel<T: Sendable>(_ body: (KRPCChannel) async throws -> T) async throws -> T {
    let key = ServiceKey(service: Echo.name, method: Echo.echo)
    let server = KRPCServer(
        configuration: KRPCServer.Configuration(host: "127.0.0.1", port: 0, gracePeriod: .seconds(1)),
        services: [EchoService()]
    )
    let serving = Task { try await server.run() }
    defer { serving.cancel() }
    let address = try await server.listeningAddress()
    let registry = InMemoryServiceRegistry()
    try await registry.register(ServiceInstance(address: address), under: [key])
    let channel = KRPCChannel(key: key, registry: registry)
    let running = Task { await channel.run() }
    defer { running.cancel() }
    try await waitUntil("the channel to see the server") { channel.snapshot().nodes.count == 1 }
    let result = try await body(channel)
    server.beginGracefulShutdown()
    _ = try? await serving.value
    return result
}

@Suite(
    "FleetView publisher and reader against a real Redis",
    .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set")
)
struct FleetViewTests {
    static let fast = FleetViewPublisher.Configuration(
        interval: .milliseconds(100), timeToLive: .milliseconds(700), errorWindow: .seconds(5))

    @Test("a live client's view is read back; a client that stops publishing drops out when its TTL passes")
    func ttlDropsDeadClient() async throws {
        let configuration = try RedisTest.sharedConfiguration()
        try await withEchoChannel { channel in
            try await RedisTest.withClient(configuration) { redis in
                let alive = FleetClientID(host: RedisTest.unique("host-"), pid: 1, name: "alive")
                let dying = FleetClientID(host: RedisTest.unique("host-"), pid: 2, name: "dying")
                let publishers = [alive, dying].map {
                    FleetViewPublisher(
                        client: redis, clientID: $0, channels: [channel], configuration: Self.fast,
                        logger: RedisTest.quietLogger)
                }
                let running = publishers.map { publisher in Task { await publisher.run() } }
                defer { for task in running { task.cancel() } }
                _ = try await EchoClient(channel).echo(EchoRequest())
                let reader = FleetViewReader(client: redis, logger: RedisTest.quietLogger)
                let node = channel.snapshot().nodes[0].address
                try await waitUntil("both views in Redis") {
                    let fleet = await reader.read()
                    return fleet.view(from: alive) != nil && fleet.view(from: dying) != nil
                }
                let fleet = await reader.read()
                #expect(fleet.error == nil)
                let seen = fleet.views(of: node, for: channel.key).filter { [alive, dying].contains($0.client) }
                #expect(seen.count == 2)
                #expect(seen.allSatisfy { $0.view.state == .closed && $0.view.errorPercent == 0 })
                let ttl = try await redis.send("PTTL", publishers[1].key).integer ?? -2
                #expect(ttl > 0 && ttl <= 700)

                running[1].cancel()
                await running[1].value
                let stoppedAt = ContinuousClock.now
                try await waitUntil("the stopped client's view to expire", timeout: .seconds(10)) {
                    await reader.read().view(from: dying) == nil
                }
                #expect(ContinuousClock.now - stoppedAt < .seconds(5))
                #expect(await reader.read().view(from: alive) != nil, "the live client stays")
                running[0].cancel()
                await running[0].value
                await RedisTest.delete(publishers.map(\.key), using: redis)
            }
        }
    }

    @Test("publishing accounts its CPU time: the publisher's own work and its client's thread, both growing")
    func publishingCostIsCounted() async throws {
        let configuration = try RedisTest.sharedConfiguration()
        try await withEchoChannel { channel in
            // A client of the publisher's own: its thread's CPU time is the publishing's.
            try await RedisTest.withClient(configuration) { redis in
                let publisher = FleetViewPublisher(
                    client: redis, clientID: FleetClientID(host: RedisTest.unique("host-"), pid: 3, name: "cost"),
                    channels: [channel], configuration: Self.fast, logger: RedisTest.quietLogger)
                #expect(publisher.cpuTime == .zero && redis.workerCPUTime == .zero)
                try await publisher.publishOnce()
                let (own, worker) = (publisher.cpuTime, redis.workerCPUTime)
                #expect(own > .zero && worker > .zero)
                try await publisher.publishOnce()
                #expect(publisher.cpuTime > own && redis.workerCPUTime > worker)
                #expect(publisher.publishedCount == 2)
                // Far below a wall-clock second per publish: CPU time of the work, not time waited.
                #expect(publisher.cpuTime + redis.workerCPUTime < .milliseconds(500))
                await RedisTest.delete([publisher.key], using: redis)
            }
        }
    }

    @Test("a Redis outage stops publishing, logged once, and calls through the channel keep succeeding")
    func outageLeavesCallsAlone() async throws {
        let redisServer = try await RedisProcess()
        defer { redisServer.stop() }
        let capture = LogCapture()
        try await withEchoChannel { channel in
            try await RedisTest.withClient(try RedisTest.fastReconnecting(redisServer.address)) { redis in
                let publisher = FleetViewPublisher(
                    client: redis, clientID: FleetClientID(host: "h", pid: 3, name: "outage"), channels: [channel],
                    configuration: Self.fast, logger: capture.logger())
                let running = Task { await publisher.run() }
                defer { running.cancel() }
                try await waitUntil("a first publication") { publisher.publishedCount > 0 }

                redisServer.stop()
                let published = publisher.publishedCount
                let failedBefore = publisher.failedCount
                var calls = 0
                let clock = ContinuousClock()
                // Calls all along the outage: every one succeeds and none waits for Redis.
                try await waitUntil("three failed publications", timeout: .seconds(10)) {
                    let started = clock.now
                    _ = try await EchoClient(channel).echo(EchoRequest(), deadline: .seconds(2))
                    calls += 1
                    #expect(clock.now - started < .seconds(1))
                    return publisher.failedCount >= failedBefore + 3
                }
                #expect(calls > 0)
                #expect(publisher.publishedCount <= published + 1, "at most one SET was in flight when Redis stopped")
                #expect(channel.snapshot().failures == 0)
                #expect(capture.entries(.info, containing: "fleet view not published").count == 1)

                try await redisServer.start()
                try await waitUntil("publishing to resume", timeout: .seconds(10)) {
                    publisher.publishedCount > published + 1
                }
                #expect(capture.entries(.info, containing: "fleet view published again").count == 1)
                running.cancel()
                await running.value
            }
        }
    }

    @Test("garbage in the view keys is ignored with one warning per key and value; good views still read")
    func garbageIgnored() async throws {
        let configuration = try RedisTest.sharedConfiguration()
        let capture = LogCapture()
        try await RedisTest.withClient(configuration) { redis in
            let good = FleetView(
                client: FleetClientID(host: RedisTest.unique("h-"), pid: 9, name: "good"), publishedAt: 1,
                interval: .seconds(1), nodes: [])
            let keys = [
                RedisKeys.view(good.client),
                RedisKeys.viewPrefix + RedisTest.unique("junk-"),
                RedisKeys.viewPrefix + RedisTest.unique("half-"),
            ]
            _ = try await redis.send(
                RedisCommand(bytes: [Array("SET".utf8), Array(keys[0].utf8), FleetViewCodec.encode(good)]))
            _ = try await redis.send("SET", keys[1], "not json at all")
            _ = try await redis.send("SET", keys[2], #"{"version":1,"client":{"host":"h"}}"#)
            let reader = FleetViewReader(client: redis, logger: capture.logger())
            for _ in 0..<2 {
                let fleet = await reader.read()
                #expect(fleet.error == nil)
                #expect(fleet.view(from: good.client) == good)
                #expect(fleet.ignoredKeys.contains(keys[1]) && fleet.ignoredKeys.contains(keys[2]))
            }
            let warnings = capture.entries(.warning, containing: "does not hold a fleet view")
            #expect(warnings.filter { $0.metadata["redis.key"] == keys[1] }.count == 1)
            #expect(warnings.filter { $0.metadata["redis.key"] == keys[2] }.count == 1)
            #expect(warnings.contains { $0.metadata["krpc.reason"]?.contains("missing field") == true })
            await RedisTest.delete(keys, using: redis)
        }
    }
}
