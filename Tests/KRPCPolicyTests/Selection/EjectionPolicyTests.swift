import KRPCPolicy
import Testing

@Suite("Ejection limit and panic mode")
struct EjectionPolicyTests {
    typealias Case = (admitting: [Bool], eligible: [NodeAddress], panic: Bool)
    static let nodes = [nodeA, nodeB, nodeC]

    static let allButOneCases: [Case] = [
        // 1 node: its breaking is panic.
        ([true], [nodeA], false),
        ([false], [nodeA], true),
        // 2 nodes: one broken is fine, both broken is panic.
        ([true, true], [nodeA, nodeB], false),
        ([false, true], [nodeB], false),
        ([false, false], [nodeA, nodeB], true),
        // 3 nodes: the seed's experiment, 2 of 3 broken, leaves the third serving alone.
        ([true, true, true], [nodeA, nodeB, nodeC], false),
        ([true, false, true], [nodeA, nodeC], false),
        ([false, false, true], [nodeC], false),
        ([false, false, false], [nodeA, nodeB, nodeC], true),
    ]

    @Test("the default limit ejects all but one node, then panics", arguments: allButOneCases)
    func allButOne(admitting: [Bool], eligible: [NodeAddress], panic: Bool) {
        let input = zip(Self.nodes, admitting).map { (address: $0, admits: $1) }
        let selection = EjectionPolicy().select(input)
        #expect(selection.eligible == eligible)
        #expect(selection.panic == panic)
        #expect(selection.ejected == input.filter { !$0.admits }.map(\.address))
        #expect(selection.allowedEjections == admitting.count - 1)
    }

    @Test("an explicit limit panics as soon as it is exceeded")
    func atMost() {
        let policy = EjectionPolicy(maxEjected: .atMost(1))
        let one = policy.select([(nodeA, false), (nodeB, true), (nodeC, true)])
        #expect(one.eligible == [nodeB, nodeC])
        #expect(!one.panic)
        let two = policy.select([(nodeA, false), (nodeB, false), (nodeC, true)])
        #expect(two.eligible == [nodeA, nodeB, nodeC])
        #expect(two.panic)
        let zero = EjectionPolicy(maxEjected: .atMost(0)).select([(nodeA, true), (nodeB, false)])
        #expect(zero.panic)
        // A limit of n or more lets every node be ejected: nothing is eligible, the channel fails fast.
        let all = EjectionPolicy(maxEjected: .atMost(5)).select([(nodeA, false), (nodeB, false)])
        #expect(all.eligible.isEmpty)
        #expect(!all.panic)
        #expect(EjectionPolicy.Limit.atMost(5).allowed(nodeCount: 2) == 2)
    }

    @Test("no nodes: nothing eligible, no panic")
    func noNodes() {
        let selection = EjectionPolicy().select([])
        #expect(selection.eligible.isEmpty)
        #expect(!selection.panic)
    }

    @Test("selection from breakers: closed and half-open with a free slot are eligible")
    func fromBreakers() {
        let config = exactBreaker()
        let closed = CircuitBreaker(configuration: config, now: t0)
        var open = CircuitBreaker(configuration: config, now: t0)
        open.trip(at: t0)
        var halfOpenFree = open
        _ = halfOpenFree.tick(at: t0 + .seconds(1))
        var halfOpenBusy = halfOpenFree
        _ = halfOpenBusy.acquire()
        let selection = EjectionPolicy().select([
            nodeD: closed, nodeC: open, nodeB: halfOpenFree, nodeA: halfOpenBusy,
        ])
        #expect(selection.eligible == [nodeB, nodeD])
        #expect(selection.ejected == [nodeA, nodeC])
        #expect(!selection.panic)
    }
}
