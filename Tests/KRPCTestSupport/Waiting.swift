/// Polls `condition` until it holds or `timeout` passes: the honest alternative to sleep-and-hope.
/// - Throws: ``WaitTimeout`` with `what` when the deadline passes first.
public func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(10),
    pollEvery interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw WaitTimeout(what: what(), timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// A condition did not come true in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(self.timeout) waiting for \(self.what)" }
}
