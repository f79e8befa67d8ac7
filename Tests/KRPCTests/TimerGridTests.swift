import KRPC
import NIOCore
import NIOPosix
import Testing

@Suite("timer grid and loop sleeps")
struct TimerGridTests {
    static func steps(_ d: Duration, _ step: Duration) -> Double { d / step }

    @Test("align gives the nearest point of the step's grid, shared by every instant asked about")
    func nearestPoint() {
        let step = Duration.milliseconds(100)
        let now = ContinuousClock.now
        let a = TimerGrid.align(now + .milliseconds(100), step: step, after: now)
        let b = TimerGrid.align(now + .milliseconds(437), step: step, after: now)
        let c = TimerGrid.align(now + .seconds(1) + .milliseconds(20), step: step, after: now)
        // On one grid: the distances between the points are whole steps.
        #expect(Self.steps(b - a, step) == Self.steps(b - a, step).rounded())
        #expect(Self.steps(c - a, step) == Self.steps(c - a, step).rounded())
        // Nearest: never more than half a step from the instant asked for.
        #expect(abs(Self.steps(a - (now + .milliseconds(100)), step)) <= 0.5)
        #expect(abs(Self.steps(b - (now + .milliseconds(437)), step)) <= 0.5)
        #expect(abs(Self.steps(c - (now + .seconds(1) + .milliseconds(20)), step)) <= 0.5)
        // Loops of one interval asking a step on from a point they woke at stay a step apart.
        let next = TimerGrid.align(a + .milliseconds(100) + .microseconds(30), step: step, after: a)
        #expect(next - a == step)
    }

    @Test("align never gives an instant that is not after now: the point after it instead")
    func neverAtOnce() {
        let step = Duration.milliseconds(100)
        let now = ContinuousClock.now
        for ask in [Duration.zero, .milliseconds(1), .milliseconds(30), .milliseconds(-200)] {
            let aligned = TimerGrid.align(now + ask, step: step, after: now)
            #expect(aligned > now)
            #expect(aligned - now <= step)
        }
        // A zero step: the instant itself.
        #expect(TimerGrid.align(now + .milliseconds(3), step: .zero, after: now) == now + .milliseconds(3))
    }

    @Test("a task pinned to a loop's executor that sleeps on the loop's timer resumes on that loop")
    func loopSleepStaysOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let executor = EventLoopTaskExecutor(eventLoop: loop)
        let resumedOnLoop = await Task(executorPreference: executor) { () -> [Bool] in
            var seen: [Bool] = []
            for _ in 0..<3 {
                try? await loop.sleep(until: TimerGrid.align(.now + .milliseconds(10), step: .milliseconds(10)))
                seen.append(loop.inEventLoop)
            }
            return seen
        }.value
        #expect(resumedOnLoop == [true, true, true])

        // Cancelled while sleeping: throws at once instead of waiting out the timer.
        let sleeper = Task(executorPreference: executor) { () -> Bool in
            do {
                try await loop.sleep(until: .now + .seconds(60))
                return false
            } catch is CancellationError {
                return true
            } catch {
                return false
            }
        }
        sleeper.cancel()
        #expect(await sleeper.value)
        try await group.shutdownGracefully()
    }
}
