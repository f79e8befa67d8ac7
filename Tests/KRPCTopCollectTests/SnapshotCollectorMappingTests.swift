import KRPCPolicy
import Testing

@testable import KRPCTopCollect

@Suite("SnapshotCollector: mapping the channel's view")
struct SnapshotCollectorMappingTests {
    @Test("a probe that is out maps to how long ago it was sent; a scheduled or idle one to nil")
    func probeSentAgo() {
        let t0 = ContinuousClock.now
        let out = ProbeStatus.inFlight(startedAt: t0, deadline: t0 + .milliseconds(500))
        #expect(SnapshotCollector.probeSentAgo(out, at: t0 + .milliseconds(300)) == .milliseconds(300))
        // A snapshot taken a hair before the probe's start (clocks read on two threads) is not negative.
        #expect(SnapshotCollector.probeSentAgo(out, at: t0 - .milliseconds(1)) == .zero)
        #expect(SnapshotCollector.probeSentAgo(.scheduled(at: t0), at: t0 + .seconds(1)) == nil)
        #expect(SnapshotCollector.probeSentAgo(.idle, at: t0) == nil)
    }
}
