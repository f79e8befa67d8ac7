import KRPC
import KRPCPolicy
import KRPCTestSupport
import Testing

@testable import KRPCRedis

@Suite(
    "Dashboard reader and fault injector against a real Redis",
    .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set"))
struct RedisDashboardReaderTests {
    @Test("one read returns per-node calls, errors, fault and TTL; non-integer fields are flagged, not fatal")
    func readsEverything() async throws {
        let key = RedisTest.uniqueKey()
        let (a, b, c) = (RedisTest.uniqueNode(), RedisTest.uniqueNode(), RedisTest.uniqueNode())
        let elsewhere = RedisTest.uniqueNode()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            _ = try await client.pipeline([
                RedisCommand("HSET", RedisKeys.calls(key), RedisKeys.field(a), "10", RedisKeys.field(b), "abc"),
                RedisCommand("HSET", RedisKeys.calls(key), "not-an-address", "5", RedisKeys.field(elsewhere), "4"),
                RedisCommand("HSET", RedisKeys.errors(key), RedisKeys.field(a), "2"),
            ])
            let injector = FaultInjector(client: client)
            try await injector.inject(.delay(milliseconds: 300), into: a, for: .seconds(60))
            try await injector.setRaw("garbage", on: b)

            let snapshot = await RedisDashboardReader(client: client).read(key, nodes: [a, b, c])
            #expect(snapshot.isSuccess)
            #expect(snapshot.state == .connected)
            #expect(snapshot.nodes.map(\.node) == [a, b, c])

            #expect(snapshot.nodes[0].calls == 10)
            #expect(snapshot.nodes[0].errors == 2)
            #expect(snapshot.nodes[0].fault?.fault == .delay(milliseconds: 300))
            let ttl = try #require(snapshot.nodes[0].fault?.timeToLive)
            #expect(ttl > .seconds(50) && ttl <= .seconds(60))

            #expect(snapshot.nodes[1].calls == nil)  // "abc" is not a count
            #expect(snapshot.nodes[1].fault?.value == "garbage")
            #expect(snapshot.nodes[1].fault?.fault == nil)
            #expect(snapshot.nodes[1].fault?.timeToLive == nil)

            #expect(snapshot.nodes[2] == .init(node: c, calls: nil, errors: nil, fault: nil))

            let totals = try #require(snapshot.totals)
            #expect(totals.calls == 14)  // a and the node not asked about
            #expect(totals.callsByNode[elsewhere] == 4)
            #expect(Set(totals.malformed.compactMap(\.field)) == [RedisKeys.field(b), "not-an-address"])

            for node in [a, b] { try await injector.clear(node) }
            await RedisTest.delete([RedisKeys.calls(key), RedisKeys.errors(key)], using: client)
        }
    }

    @Test("an unreachable Redis gives a disconnected snapshot, not an error or a crash")
    func unreachable() async throws {
        let port = TCPProbe.freePort()
        try await RedisTest.withClient(try RedisConfiguration(address: "127.0.0.1:\(port)")) { client in
            let snapshot = await RedisDashboardReader(client: client).read(
                RedisTest.uniqueKey(), nodes: [RedisTest.uniqueNode()])
            #expect(!snapshot.isSuccess)
            #expect(snapshot.state == .disconnected)
            #expect(snapshot.error?.code == .connectionFailed)
            #expect(snapshot.nodes.isEmpty && snapshot.totals == nil)
        }
    }

    @Test("fault injector: set with TTL, read back, clear; a TTL under 1 ms is refused")
    func injector() async throws {
        let node = RedisTest.uniqueNode()
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let injector = FaultInjector(client: client)
            try await injector.inject(.errorRate(0.5), into: node, for: .seconds(30))
            let state = try #require(try await injector.fault(of: node))
            #expect(state.fault == .errorRate(0.5))
            #expect(state.value == "error-rate:0.5")
            #expect((state.timeToLive ?? .zero) > .seconds(20))
            #expect(try await client.send("GET", RedisKeys.fault(node)) == .bulkString("error-rate:0.5"))

            try await injector.inject(.timeout, into: node)  // no TTL: replaces the value and the TTL
            #expect(
                try await injector.fault(of: node) == FaultKeyState(value: "timeout", fault: .timeout, timeToLive: nil))

            #expect(try await injector.clear(node))
            #expect(try await injector.clear(node) == false)
            #expect(try await injector.fault(of: node) == nil)

            do throws(RedisError) {
                try await injector.inject(.error, into: node, for: .zero)
                Issue.record("a zero TTL must be refused")
            } catch {
                #expect(error.code == .invalidArgument)
            }
        }
    }
}
