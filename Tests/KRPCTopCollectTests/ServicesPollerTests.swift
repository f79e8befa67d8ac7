import KRPC
import KRPCPolicy
@testable import KRPCTopCollect
import KRPCTopCore
import KRPCRedis
import KRPCZooKeeper
import Synchronization
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

    @Test("off screen the tree is listed every 5 s, the last listing standing in between; on screen at every read")
    func offScreenListing() async {
        let lists = Mutex(0)
        let fails = Mutex(false)
        struct Unreachable: Error {}
        let poller = ServicesPoller(
            list: {
                lists.withLock { $0 += 1 }
                if fails.withLock({ $0 }) { throw Unreachable() }
                return Self.listings
            }, redis: nil, interval: .seconds(1), rateWindow: .seconds(10))
        let t0 = ContinuousClock.now
        await poller.pollOnce(now: t0)
        await poller.pollOnce(now: t0 + .seconds(1))
        #expect(lists.withLock { $0 } == 2)  // on screen (the default): every read lists

        poller.setOnScreen(false)
        await poller.pollOnce(now: t0 + .seconds(2))  // listed 1 s ago: the cached listing
        #expect(lists.withLock { $0 } == 2)
        await poller.pollOnce(now: t0 + .milliseconds(5999))
        #expect(lists.withLock { $0 } == 2)
        #expect(poller.reading.services.map(\.registered) == [1, 2])  // rows from the cached listing
        await poller.pollOnce(now: t0 + .seconds(6))
        #expect(lists.withLock { $0 } == 3)

        // A failed listing is not kept: the next read lists again.
        fails.withLock { $0 = true }
        await poller.pollOnce(now: t0 + .seconds(11))
        #expect(lists.withLock { $0 } == 4)
        #expect(poller.reading.problem?.hasPrefix("registry not read") == true)
        fails.withLock { $0 = false }
        await poller.pollOnce(now: t0 + .seconds(12))
        #expect(lists.withLock { $0 } == 5)
        #expect(poller.reading.problem == nil)

        poller.setOnScreen(true)  // back on screen: listed at the next read
        await poller.pollOnce(now: t0 + .seconds(13))
        #expect(lists.withLock { $0 } == 6)
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
