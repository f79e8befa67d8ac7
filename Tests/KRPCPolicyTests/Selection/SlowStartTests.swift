import KRPCPolicy
import Testing

@Suite("Slow start")
struct SlowStartTests {
    static let ramp: [(elapsed: Duration, factor: Double)] = [
        (.zero, 0.1),
        (.milliseconds(750), 0.325),
        (.milliseconds(1_500), 0.55),
        (.milliseconds(2_999), 0.9997),
        (.seconds(3), 1),
        (.seconds(60), 1),
    ]

    @Test("the factor ramps linearly from 0.1 to 1 over 3 s", arguments: ramp)
    func linearRamp(elapsed: Duration, factor: Double) {
        var slowStart = SlowStart()
        slowStart.begin(now: t0)
        #expect(abs(slowStart.factor(now: t0 + elapsed) - factor) < 1e-9)
        #expect(slowStart.isRamping(now: t0 + elapsed) == (factor < 1))
    }

    @Test("a node that never began a ramp is at full share")
    func noRamp() {
        let slowStart = SlowStart()
        #expect(slowStart.factor(now: t0) == 1)
        #expect(slowStart.startedAt == nil)
    }

    @Test("beginning again restarts the ramp")
    func restart() {
        var slowStart = SlowStart(configuration: SlowStartConfiguration(window: .seconds(2), initialFactor: 0.5))
        slowStart.begin(now: t0)
        #expect(slowStart.factor(now: t0 + .seconds(1)) == 0.75)
        slowStart.begin(now: t0 + .seconds(10))
        #expect(slowStart.factor(now: t0 + .seconds(10)) == 0.5)
    }

    @Test("a zero window disables slow start")
    func disabled() {
        var slowStart = SlowStart(configuration: SlowStartConfiguration(window: .zero))
        slowStart.begin(now: t0)
        #expect(slowStart.factor(now: t0) == 1)
    }

    @Test("a breaker closing starts the ramp, and the balancer honours it")
    func rampFeedsBalancer() {
        var breaker = CircuitBreaker(configuration: exactBreaker(), now: t0)
        var slowStart = SlowStart()
        breaker.trip(at: t0)
        _ = breaker.tick(at: t0 + .milliseconds(200))
        if breaker.call(.success, at: t0 + .milliseconds(200)) == .closed {
            slowStart.begin(now: t0 + .milliseconds(200))
        }
        var balancer = WeightedRoundRobinBalancer()
        let now = t0 + .milliseconds(200)
        let nodes = [
            BalancerCandidate(address: nodeA),
            BalancerCandidate(address: nodeB, slowStartFactor: slowStart.factor(now: now)),
        ]
        let counts = tally((0..<110).map { _ in balancer.pick(from: nodes) })
        #expect((99...101).contains(counts[nodeA, default: 0]))  // 1 : 0.1, up to rounding of 0.1
        #expect((9...11).contains(counts[nodeB, default: 0]))
    }
}
