import KRPC
import KRPCPolicy
import KRPCRedis
@testable import KRPCTopCollect
import KRPCTopCore
import Testing

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
