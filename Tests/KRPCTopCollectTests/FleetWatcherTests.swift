import KRPC
import KRPCPolicy
import KRPCRedis
@testable import KRPCTopCollect
import KRPCTopCore
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Folding every client's published view with this client's live one into the FLEET figures.
@Suite struct FleetWatcherTests {
    static let key = ServiceKey(service: "UserServiceRpc", method: "Login")
    static let other = ServiceKey(service: "UserServiceRpc", method: "Register")
    static let n1 = NodeAddress(host: "10.213.0.11", port: 8000)
    static let n2 = NodeAddress(host: "10.213.0.12", port: 8000)
    static let me = FleetClientID(host: "a", pid: 10, name: "krpc-top")
    static let b = FleetClientID(host: "b", pid: 20, name: "client-b")

    static func view(_ client: FleetClientID, _ nodes: [(ServiceKey, NodeAddress, BreakerState)]) -> FleetView {
        FleetView(
            client: client, publishedAt: 0, interval: .seconds(1),
            nodes: nodes.map {
                FleetNodeView(
                    key: $0.0, node: $0.1, state: $0.2, reason: $0.2 == .closed ? nil : "connect refused",
                    errorPercent: 0, p99Micros: 0, timeInState: .zero)
            })
    }

    @Test("own live view first (its published copy ignored), others by key and node; broken here only")
    func folds() throws {
        let fleet = FleetSnapshot(
            views: [
                // Our own published view is a second old: the live state wins, it is not counted twice.
                Self.view(Self.me, [(Self.key, Self.n1, .closed), (Self.key, Self.n2, .closed)]),
                Self.view(Self.b, [(Self.key, Self.n1, .closed), (Self.key, Self.n2, .open), (Self.other, Self.n1, .open)]),
            ],
            ignoredKeys: [], error: nil)
        let own = [
            NodeSnapshot(address: Self.n1, state: .broken, reason: "connect refused"),
            NodeSnapshot(address: Self.n2, state: .healthy),
        ]
        let figures = FleetWatcher.figures(own: Self.me, nodes: own, key: Self.key, fleet: fleet)
        let one = try #require(figures[Self.n1])
        #expect(one.entries.map(\.client) == ["a:10:krpc-top", "b:20:client-b"])
        #expect(one.entries.first?.isSelf == true && one.entries.first?.state == .broken)
        #expect(one.clients == 2 && one.healthy == 1 && one.broken == 1)
        #expect(one.brokenHereOnly == true)
        // b sees n2 broken (for this method; its other method's view of n1 does not count).
        let two = try #require(figures[Self.n2])
        #expect(two.clients == 2 && two.healthy == 1 && two.broken == 1 && two.worst == .broken)
        #expect(two.brokenHereOnly == false)
        #expect(two.entries.last?.reason == "connect refused")
    }

    @Test("no other client: just this one")
    func alone() {
        let figures = FleetWatcher.figures(
            own: Self.me, nodes: [NodeSnapshot(address: Self.n1, state: .broken)], key: Self.key,
            fleet: FleetSnapshot(views: [], ignoredKeys: [], error: nil))
        #expect(figures[Self.n1]?.clients == 1)
        #expect(figures[Self.n1]?.brokenHereOnly == false)
    }
}

/// Unknown while the fleet cannot be read, filled again once it can; the per-method tallies; each view's age.
@Suite struct FleetWatcherReadsTests {
    typealias T = FleetWatcherTests

    /// Hands out `reads` in order (the last one again when they run out).
    final class Script: Sendable {
        private let reads: Mutex<[FleetSnapshot]>
        init(_ reads: [FleetSnapshot]) { self.reads = Mutex(reads) }
        func next() -> FleetSnapshot {
            self.reads.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        }
    }

    static let failed = FleetSnapshot(
        views: [], ignoredKeys: [], error: RedisError(code: .connectionFailed, message: "refused"))
    static var fine: FleetSnapshot {
        var b = T.view(T.b, [(T.key, T.n1, .closed), (T.key, T.n2, .open), (T.other, T.n1, .halfOpen)])
        b.publishedAt = 1000
        // Our own published copy: left out of every count (the live view stands for it).
        return FleetSnapshot(views: [b, T.view(T.me, [(T.key, T.n1, .open)])], ignoredKeys: [], error: nil)
    }

    @Test("'-' before the first read and while reads fail; filled again when Redis answers")
    func unknownThenKnown() async {
        let script = Script([Self.failed, Self.fine, Self.failed])
        let watcher = FleetWatcher(read: { script.next() }, clientID: T.me, wallClock: { 1002.5 })
        let own = [NodeSnapshot(address: T.n1, state: .healthy), NodeSnapshot(address: T.n2, state: .healthy)]
        #expect(watcher.figures(for: own, key: T.key) == [T.n1: .unknown, T.n2: .unknown])
        #expect(watcher.tallies(ownKey: T.key, nodes: own) == nil)
        await watcher.readOnce()  // Redis down
        #expect(watcher.figures(for: own, key: T.key)[T.n1]?.isKnown == false)
        #expect(watcher.figures(for: own, key: T.key)[T.n1]?.cell(ascii: false) == "-")
        #expect(watcher.tallies(ownKey: T.key, nodes: own) == nil)
        await watcher.readOnce()  // back
        let figures = watcher.figures(for: own, key: T.key)
        #expect(figures[T.n1]?.cell(ascii: false) == "2/2 ●")
        #expect(figures[T.n2]?.cell(ascii: false) == "1/2 ✖")
        // b's view was published 2.5 s before the watcher's clock; ours is live.
        #expect(figures[T.n2]?.entries.map(\.viewAge) == [nil, .milliseconds(2500)])
        #expect(watcher.tallies(ownKey: T.key, nodes: own) == [
            T.key: FleetTally(healthy: 3, halfOpen: 0, broken: 1),
            T.other: FleetTally(healthy: 0, halfOpen: 1, broken: 0),
        ])
        // Without a method of its own (the services view first): only the others' views.
        #expect(watcher.tallies(ownKey: nil, nodes: [])?[T.key] == FleetTally(healthy: 1, broken: 1))
        await watcher.readOnce()  // down again: unknown, never the stale read
        #expect(watcher.figures(for: own, key: T.key)[T.n2] == .unknown)
        #expect(watcher.tallies(ownKey: T.key, nodes: own) == nil)
    }

    @Test("own entry carries the node's window (error %, p99) and time in state")
    func ownFigures() {
        var node = NodeSnapshot(address: T.n1, state: .broken, timeInState: .seconds(3))
        node.window = WindowFigures(length: .seconds(10), calls: 10, errors: 5, timeouts: 0, p50Microseconds: 100,
                                    p90Microseconds: 200, p99Microseconds: 900, p999Microseconds: nil,
                                    maxMicroseconds: nil)
        let figures = FleetWatcher.figures(
            own: T.me, nodes: [node], key: T.key, fleet: FleetSnapshot(views: [], ignoredKeys: [], error: nil))
        let own = figures[T.n1]?.entries.first
        #expect(own?.errorPercent == 50 && own?.p99Microseconds == 900 && own?.timeInState == .seconds(3))
        #expect(own?.viewAge == nil && own?.isSelf == true)
    }

    @Test("a real Redis client that cannot connect: the figures read unknown ('-'), not absent")
    func realOutage() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let client = try RedisClient(
            configuration: try RedisConfiguration(address: "127.0.0.1:\(Self.closedPort())"),
            logger: Logger(label: "test"))
        let watcher = FleetWatcher(
            reader: FleetViewReader(client: client, logger: Logger(label: "test")), clientID: T.me)
        await watcher.readOnce()
        #expect(watcher.snapshot?.error != nil)
        #expect(watcher.figures(for: [NodeSnapshot(address: T.n1)], key: T.key) == [T.n1: .unknown])
        await client.shutdown()
    }

    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
