public import NIOCore

/// A `TaskExecutor` that runs jobs on one NIO event loop.
///
/// Handler tasks (server) and caller tasks (client, by choice) run with this executor as their
/// `executorPreference`, so their code and the channel's I/O share one thread and a call makes no
/// thread hop: in the measured prototype, hops to the global pool cost 13–18 µs of CPU per call
/// and 2+ context switches (shared/bench/FINDINGS.md, lessons 1–2).
///
/// Public for code that runs beside a channel on its loop (krpc-top's collection loops): a task with this
/// preference that sleeps with ``NIOCore/EventLoop/sleep(until:)`` is woken by the loop alone.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: the only stored property is an immutable reference to an EventLoop,
    // which is Sendable; the class exists only to give it a TaskExecutor conformance.
    public let eventLoop: any EventLoop

    /// An executor running its jobs on `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
