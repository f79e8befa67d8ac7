/// How one of krpc-top's collection loops (the pollers, the snapshot delivery, the load generator) waits for its
/// next turn: until an instant, throwing `CancellationError` when its task is cancelled first.
///
/// krpc-top runs them pinned to its collection loop and passes that loop's timer
/// (`{ try await loop.sleep(until: $0) }`): a turn then wakes that one thread and nothing else. `Task.sleep` wakes
/// the concurrency runtime's timer thread and a pool thread first.
public typealias TopSleep = @Sendable (ContinuousClock.Instant) async throws -> Void

/// The sleeps krpc-top's loops use when given none.
public enum TopSleeps {
    /// The concurrency runtime's timer (`Task.sleep`): for loops not pinned to an event loop, and tests.
    public static let runtimeClock: TopSleep = { try await Task.sleep(until: $0, clock: .continuous) }
}
