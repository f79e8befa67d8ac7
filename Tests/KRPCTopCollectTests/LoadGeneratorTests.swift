import KRPCTopCollect
import Synchronization
import Testing

/// The load generator on simulated time: `sleep` jumps the clock to the instant asked for, and ends the
/// run (by throwing) once `end` is reached.
private final class SimulatedRun: Sendable {
    struct Wake: Equatable {
        /// Milliseconds since the start.
        var at: Int
        /// Calls started before this sleep.
        var started: Int
    }

    let start = ContinuousClock.now
    let end: Duration
    private let state = Mutex<(now: ContinuousClock.Instant, wakes: [Wake])>((.now, []))
    private let generator = Mutex<LoadGenerator?>(nil)

    init(end: Duration) {
        self.end = end
        self.state.withLock { $0.now = self.start }
    }

    var wakes: [Wake] { self.state.withLock { $0.wakes } }

    func now() -> ContinuousClock.Instant { self.state.withLock { $0.now } }

    func sleep(until instant: ContinuousClock.Instant) throws {
        let started = self.generator.withLock { $0?.counters.started } ?? 0
        let over = self.state.withLock { state in
            state.now = max(state.now, instant)
            state.wakes.append(Wake(at: Int((state.now - self.start) / .milliseconds(1)), started: started))
            return state.now - self.start >= self.end
        }
        if over { throw CancellationError() }
    }

    func run(rate: Double, wakeInterval: Duration) async -> LoadGenerator {
        let load = LoadGenerator(
            rate: rate, wakeInterval: wakeInterval,
            sleep: { try self.sleep(until: $0) }, now: { self.now() }, call: {}
        )
        self.generator.withLock { $0 = load }
        await load.run()
        return load
    }
}

@Suite("LoadGenerator")
struct LoadGeneratorTests {
    @Test("with a wake interval, calls due in between go out together and the rate holds")
    func batches() async {
        let run = SimulatedRun(end: .seconds(2))
        let load = await run.run(rate: 50, wakeInterval: .milliseconds(100))
        let wakes = run.wakes
        // The first call goes at once; then a batch of 5 (20 ms apart, each at most 100 ms late) every 100 ms.
        #expect(wakes.prefix(4) == [.init(at: 100, started: 1), .init(at: 200, started: 6), .init(at: 300, started: 11),
                                    .init(at: 400, started: 16)])
        #expect(zip(wakes, wakes.dropFirst()).allSatisfy { $1.at - $0.at >= 100 })
        // The run ends at the 2000 ms wake-up, before its batch: the calls due at 0, 20, …, 1900 ms went out.
        #expect(load.counters.started == 96)
    }

    @Test("without one, every call goes at its own time")
    func everyCallOnTime() async {
        let run = SimulatedRun(end: .seconds(1))
        let load = await run.run(rate: 50, wakeInterval: .zero)
        let wakes = run.wakes
        #expect(wakes.prefix(3) == [.init(at: 20, started: 1), .init(at: 40, started: 2), .init(at: 60, started: 3)])
        #expect(zip(wakes, wakes.dropFirst()).allSatisfy { $1.at - $0.at == 20 && $1.started - $0.started == 1 })
        #expect(load.counters.started == 50)  // due at 0, 20, …, 980 ms; the run ends at the 1000 ms wake-up
    }
}
