#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time the calling thread has used (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`): what a piece of work costs,
/// read around it on one thread, whatever else the process does meanwhile.
///
/// ```swift
/// let start = ThreadCPUTime.now()
/// work()
/// let cost = ThreadCPUTime.now() - start
/// ```
public enum ThreadCPUTime {
    /// The calling thread's CPU time so far (`.zero` if the clock cannot be read).
    public static func now() -> Duration {
        var spec = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec) == 0 else { return .zero }
        return .seconds(Int64(spec.tv_sec)) + .nanoseconds(Int64(spec.tv_nsec))
    }
}
