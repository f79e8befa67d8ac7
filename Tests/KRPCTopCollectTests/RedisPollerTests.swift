import KRPC
import KRPCPolicy
import KRPCRedis
@testable import KRPCTopCollect
import Logging
import Testing

@Suite("Redis poller")
struct RedisPollerTests {
    static let key = ServiceKey(service: "Echo", method: "Echo")
    static let a = NodeAddress(host: "127.0.0.1", port: 8000)
    static let b = NodeAddress(host: "127.0.0.1", port: 9000)

    static func read(_ counts: [NodeAddress: Int]) -> RedisDashboardSnapshot {
        RedisDashboardSnapshot(
            state: .connected, error: nil, totals: CallTotals(key: key, callsByNode: counts),
            nodes: [a, b].map { RedisDashboardSnapshot.Node(node: $0, calls: counts[$0], errors: nil, fault: nil) })
    }

    @Test("R/S: a node's rate is its count's growth over the window, from zero for a method's first calls")
    func ratesFromTheFirstCalls() async throws {
        // Never connected: the reader's client is only needed to build the poller; `absorb` is fed by hand.
        let client = try RedisClient(
            configuration: try RedisConfiguration(address: "127.0.0.1:1"), logger: Logger(label: "test"))
        let poller = RedisPoller(
            key: Self.key, reader: RedisDashboardReader(client: client), interval: .milliseconds(100),
            rateWindow: .seconds(10), nodes: { [Self.a, Self.b] }, wallClock: { 0 })
        let t0 = ContinuousClock.now
        // The method's hash does not exist yet (no call counted), then both nodes' fields appear.
        poller.absorb(Self.read([:]), at: t0, wallTime: 0)
        poller.absorb(Self.read([Self.a: 20, Self.b: 10]), at: t0 + .seconds(1), wallTime: 1)
        var reading = poller.reading
        #expect(reading.callRates[Self.a] == 20)
        #expect(reading.callRates[Self.b] == 10)
        #expect(reading.clusterQPS == 30)
        // Later: the growth since the base (still the first read, within the window).
        poller.absorb(Self.read([Self.a: 60, Self.b: 30]), at: t0 + .seconds(2), wallTime: 2)
        reading = poller.reading
        #expect(reading.callRates[Self.a] == 30)
        #expect(reading.callRates[Self.b] == 15)
        await client.shutdown()
    }
}
