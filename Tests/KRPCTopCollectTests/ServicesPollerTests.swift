import KRPC
import KRPCPolicy
@testable import KRPCTopCollect
import KRPCTopCore
import KRPCRedis
import KRPCZooKeeper
import Testing

@Suite("services poller")
struct ServicesPollerTests {
    static func node(_ text: String) -> NodeAddress {
        NodeAddress(parsing: text) ?? NodeAddress(host: "invalid", port: 1)
    }

    static let login = ServiceKey(service: "UserServiceRpc", method: "Login")
    static let echo = ServiceKey(service: "Echo", method: "Echo")
    static let listings = [
        RegistryMethodListing(key: login, nodes: [node("127.0.0.1:8000"), node("127.0.0.1:9000")]),
        RegistryMethodListing(key: echo, nodes: [node("127.0.0.1:8000")]),
    ]

    static func poller(window: Duration = .seconds(10)) -> ServicesPoller {
        ServicesPoller(list: { Self.listings }, redis: nil, interval: .seconds(1), rateWindow: window)
    }

    @Test("rows by name with node counts and Redis totals; rate and error % from the deltas over the window")
    func ratesFromDeltas() {
        let poller = Self.poller(window: .seconds(2))
        let t0 = ContinuousClock.now
        poller.absorb(
            Self.listings, counts: ([Self.login: 1000, Self.echo: 10], [Self.login: 10, Self.echo: 0]), at: t0)
        var reading = poller.reading
        #expect(reading.services.map(\.name) == ["Echo.Echo", "UserServiceRpc.Login"])
        #expect(reading.services.map(\.registered) == [1, 2])
        #expect(reading.services[1].redisCalls == 1000 && reading.services[1].redisErrors == 10)
        #expect(reading.services[1].callRate == nil)  // one read: no rate yet
        #expect(reading.problem == nil)

        poller.absorb(Self.listings, counts: ([Self.login: 1100, Self.echo: 10], [Self.login: 60, Self.echo: 0]),
                      at: t0 + .seconds(1))
        poller.absorb(Self.listings, counts: ([Self.login: 1200, Self.echo: 10], [Self.login: 60, Self.echo: 0]),
                      at: t0 + .seconds(2))
        reading = poller.reading
        // Over the 2 s window: 200 calls, 50 errors.
        #expect(reading.services[1].callRate == 100)
        #expect(reading.services[1].errorPercent == 25)
        #expect(reading.services[0].callRate == 0)
        #expect(reading.services[0].errorPercent == nil)  // no calls in the window
        #expect(reading.totalRate == 100)
        #expect(reading.totalErrorPercent == 25)

        // A third of a window later the base slides: the oldest read no longer counts.
        poller.absorb(Self.listings, counts: ([Self.login: 1200, Self.echo: 10], [Self.login: 60, Self.echo: 0]),
                      at: t0 + .seconds(4))
        reading = poller.reading
        #expect(reading.services[1].callRate == 0)
        #expect(reading.services[1].errorPercent == nil)

        // Redis unreadable: counts unknown, the rows stay with their node counts.
        poller.absorb(Self.listings, counts: nil, at: t0 + .seconds(5))
        reading = poller.reading
        #expect(reading.services.map(\.registered) == [1, 2])
        #expect(reading.services.allSatisfy { $0.redisCalls == nil && $0.callRate == nil })
    }

    @Test("a registry that cannot be read says so; an empty one says there are no methods")
    func problems() async {
        struct Unreachable: Error, CustomStringConvertible {
            var description: String { "ZooKeeper not reached" }
        }
        let failing = ServicesPoller(list: { throw Unreachable() }, redis: nil, interval: .seconds(1),
                                     rateWindow: .seconds(10))
        #expect(failing.reading.problem == "waiting for the registry")
        await failing.pollOnce()
        #expect(failing.reading.problem == "registry not read: ZooKeeper not reached")
        let empty = ServicesPoller(list: { [] }, redis: nil, interval: .seconds(1), rateWindow: .seconds(10))
        await empty.pollOnce()
        #expect(empty.reading.problem == "no methods registered")
        let listed = Self.poller()
        await listed.pollOnce()
        #expect(listed.reading.services.map(\.registered) == [1, 2])
        #expect(listed.reading.services.allSatisfy { $0.redisCalls == nil })  // without Redis
    }

    @Test("hashSum adds an HGETALL reply's counts and skips what is not a count")
    func hashSum() {
        let reply = RedisValue.array([
            .bulkString("127.0.0.1:8000"), .bulkString("40"), .bulkString("127.0.0.1:9000"), .bulkString("2"),
            .bulkString("junk"), .bulkString("x"), .bulkString("neg"), .bulkString("-5"),
        ])
        #expect(ServicesPoller.hashSum(reply) == 42)
        #expect(ServicesPoller.hashSum(.null) == 0)
    }
}
