import KRPCTopCore
import Testing

/// The sliding window on virtual time: offsets from an origin stand in for the clock.
@Suite struct RollingWindowTests {
    /// 50 calls a second for `seconds`, starting at `from`, each taking `latency` µs and ending as `outcome`.
    private func drive(
        _ window: inout RollingWindow, from: Duration, seconds: Int, outcome: RollingWindow.Outcome, latency: Int
    ) {
        for i in 0..<(seconds * 50) {
            window.record(outcome, latencyMicroseconds: latency, at: from + .milliseconds(i * 20))
        }
    }

    @Test func anEmptyWindowHasNoPercentilesAndNoErrorRate() {
        var window = RollingWindow(length: .seconds(10))
        let figures = window.figures(at: .seconds(5))
        #expect(figures.attempts == 0)
        #expect(figures.errorPercent == nil)
        #expect(figures.p50Microseconds == nil)
        #expect(figures.p99Microseconds == nil)
        #expect(figures.latencyBins.isEmpty)
    }

    @Test func countsAndPercentilesOfTheAttemptsInTheWindow() {
        var window = RollingWindow(length: .seconds(10))
        for i in 1...100 {
            window.record(i % 10 == 0 ? .error : .success, latencyMicroseconds: i * 100, at: .milliseconds(i * 10))
        }
        window.record(.timeout, latencyMicroseconds: 500_000, at: .seconds(1))
        let f = window.figures(at: .seconds(2))
        #expect(f.calls == 100)
        #expect(f.errors == 10)
        #expect(f.timeouts == 1)
        #expect(f.errorPercent.map { abs($0 - 11 * 100 / 101.0) < 0.001 } == true)
        // HDR at two significant digits: within 1 %. The timed-out attempt counts too: 101 values.
        #expect(f.p50Microseconds.map { abs($0 - 5_100) <= 51 } == true)
        #expect(f.p99Microseconds.map { abs($0 - 10_000) <= 100 } == true)
        #expect(f.maxMicroseconds.map { abs($0 - 500_000) <= 5_000 } == true)
        #expect(f.latencyBins.map(\.count).reduce(0, +) == 101)
        #expect(f.latencyBins.count == WindowFigures.binBounds.count + 1)
        #expect(f.span == .seconds(2))  // two seconds of data so far
        #expect(abs(f.attemptsPerSecond - 50.5) < 0.001)
    }

    @Test func afterAFaultClearsTheFiguresAreHealthyWithinTheWindowPlusOneSecond() {
        var window = RollingWindow(length: .seconds(10))
        // 30 s healthy (1 ms), 10 s failing fast with some very slow attempts, then healthy again.
        self.drive(&window, from: .zero, seconds: 30, outcome: .success, latency: 1_000)
        let healthy = window.figures(at: .seconds(30))
        #expect(healthy.errorPercent == 0)
        self.drive(&window, from: .seconds(30), seconds: 10, outcome: .error, latency: 200)
        for i in 0..<20 { window.record(.timeout, latencyMicroseconds: 2_000_000, at: .seconds(35) + .milliseconds(i)) }
        let failing = window.figures(at: .seconds(40))
        #expect((failing.errorPercent ?? 0) > 50)
        #expect((failing.p99Microseconds ?? 0) > 1_000_000)
        self.drive(&window, from: .seconds(40), seconds: 15, outcome: .success, latency: 1_000)
        let recovered = window.figures(at: .seconds(51))  // window (10 s) + 1 s after the fault cleared
        #expect(recovered.errorPercent == 0)
        #expect(recovered.p99Microseconds == healthy.p99Microseconds)
        #expect(recovered.p50Microseconds == healthy.p50Microseconds)
    }

    @Test func aNodeWithoutCallsInTheWindowShowsNothing() {
        var window = RollingWindow(length: .seconds(10))
        self.drive(&window, from: .zero, seconds: 5, outcome: .error, latency: 300)
        #expect(window.figures(at: .seconds(9)).attempts == 250)
        let later = window.figures(at: .seconds(15) + .milliseconds(1))
        #expect(later.attempts == 0)
        #expect(later.errorPercent == nil)
        #expect(later.p99Microseconds == nil)
    }

    @Test func aSlotIsReusedForItsNextSliceAndOldAttemptsAreDropped() {
        var window = RollingWindow(length: .seconds(2), bucketCount: 2)
        window.record(.error, latencyMicroseconds: 100, at: .milliseconds(500))
        window.record(.success, latencyMicroseconds: 100, at: .milliseconds(2_500))  // same slot, next slice
        var f = window.figures(at: .milliseconds(2_600))
        #expect(f.calls == 1)
        #expect(f.errors == 0)
        // An attempt reported late, older than what its slot holds now, is not counted.
        window.record(.error, latencyMicroseconds: 100, at: .milliseconds(400))
        f = window.figures(at: .milliseconds(2_600))
        #expect(f.errors == 0)
    }

    @Test func readingTwiceWithoutChangeGivesTheSameFigures() {
        var window = RollingWindow(length: .seconds(10))
        self.drive(&window, from: .zero, seconds: 2, outcome: .success, latency: 700)
        let a = window.figures(at: .seconds(10) + .milliseconds(500))
        let b = window.figures(at: .seconds(10) + .milliseconds(600))
        #expect(a == b)
        #expect(a.calls > 0 && a.calls < 100)  // the first second slid out, the second not yet
    }
}
