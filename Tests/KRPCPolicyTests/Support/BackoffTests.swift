import KRPCPolicy
import Testing

@Suite("Backoff")
struct BackoffTests {
    @Test("without jitter the delays double exactly up to the cap")
    func exactGrowth() {
        var delays = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: 0).makeIterator()
        var rng = SplitMix64(seed: 1)
        let values = (0..<11).map { _ in delays.next(using: &rng) }
        let expected = [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000]
        #expect(values == expected.map { Duration.milliseconds($0) })
        #expect(delays.count == 11)
        #expect(rng == SplitMix64(seed: 1))  // jitter 0 never draws
    }

    @Test("gRPC's connection backoff: 1 s × 1.6 up to 120 s")
    func grpcDefaults() {
        var delays = Backoff(jitter: 0).makeIterator()
        var rng = SplitMix64(seed: 1)
        let values = (0..<4).map { _ in delays.next(using: &rng) }
        #expect(values == [.seconds(1), .milliseconds(1_600), .milliseconds(2_560), .milliseconds(4_096)])
        for _ in 0..<20 { _ = delays.next(using: &rng) }
        #expect(delays.next(using: &rng) == .seconds(120))
    }

    @Test("reset starts again at the initial delay")
    func reset() {
        var delays = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: 0).makeIterator()
        var rng = SplitMix64(seed: 1)
        for _ in 0..<5 { _ = delays.next(using: &rng) }
        #expect(delays.upcoming == .milliseconds(6_400))
        delays.reset()
        #expect(delays.count == 0)
        #expect(delays.next(using: &rng) == .milliseconds(200))
    }

    @Test("jittered delays stay within ±jitter of the base and never exceed the cap", arguments: [0.1, 0.2, 0.5, 1.0])
    func jitterRange(jitter: Double) {
        let backoff = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: jitter)
        var distinct: Set<Duration> = []
        for seed in UInt64(0)..<50 {
            var rng = SplitMix64(seed: seed)
            var delays = backoff.makeIterator()
            for _ in 0..<12 {
                let base = delays.upcoming
                let value = delays.next(using: &rng)
                let low = base * (1 - jitter)
                let high = min(base * (1 + jitter), .seconds(30))
                #expect(value >= low - .nanoseconds(1) && value <= high + .nanoseconds(1), "\(value) vs \(base)")
                distinct.insert(value)
            }
        }
        #expect(distinct.count > 300)
    }

    @Test("the same seed gives the same jittered sequence")
    func deterministic() {
        let backoff = Backoff(initial: .milliseconds(200), max: .seconds(30), multiplier: 2, jitter: 0.2)
        var one = SplitMix64(seed: 42)
        var two = SplitMix64(seed: 42)
        var first = backoff.makeIterator()
        var second = backoff.makeIterator()
        #expect((0..<10).map { _ in first.next(using: &one) } == (0..<10).map { _ in second.next(using: &two) })
    }
}
