import KRPCTopCore
import Testing

/// The merged base (every bucket before the current one, merged once per slice): a window read at every step
/// gives exactly the figures of a twin read only at that step, whatever the order of records and reads —
/// late attempts into older buckets, slots reused, reads at earlier times.
@Suite struct RollingWindowCacheTests {
    /// A fixed pseudo-random sequence (xorshift), so a failure replays.
    struct Steps: Sequence, IteratorProtocol {
        var state: UInt64
        mutating func next() -> UInt64? {
            self.state ^= self.state << 13
            self.state ^= self.state >> 7
            self.state ^= self.state << 17
            return self.state
        }
    }

    @Test("read ten times a second vs read once: the same figures, step after step", arguments: [1, 7, 42])
    func cachedEqualsFresh(seed: UInt64) {
        var often = RollingWindow(length: .seconds(10))
        var random = Steps(state: seed &* 0x9E37_79B9_7F4A_7C15 | 1)
        var now = Duration.zero
        var records: [(RollingWindow.Outcome, Int?, Duration)] = []
        for step in 0..<1200 {
            let r = random.next()!
            now += .milliseconds(Int64(r % 40))
            // Mostly now; sometimes up to 3 s late (an older bucket), sometimes a read at an earlier time.
            let late = r % 11 == 0 ? Duration.milliseconds(Int64((r >> 8) % 3000)) : .zero
            let outcome: RollingWindow.Outcome = r % 5 == 0 ? .error : (r % 13 == 0 ? .timeout : .success)
            let latency: Int? = outcome == .timeout ? nil : Int((r >> 16) % 50_000) + 1
            records.append((outcome, latency, now - late))
            often.record(outcome, latencyMicroseconds: latency, at: now - late)
            let readAt = r % 17 == 0 ? now - .milliseconds(Int64((r >> 24) % 1500)) : now
            let cached = often.figures(at: readAt)
            if step % 53 == 0 || r % 17 == 0 {
                var fresh = RollingWindow(length: .seconds(10))
                for (o, l, t) in records { fresh.record(o, latencyMicroseconds: l, at: t) }
                #expect(cached == fresh.figures(at: readAt), "step \(step)")
            }
        }
    }
}
