/// What publishing this client's fleet view has cost so far, next to the whole process's CPU time: the
/// `--once --json` report's `fleet_publish` object, so the "publishing costs < 1 % of krpc-top's CPU" bar is read
/// directly rather than from the difference of two noisy runs.
public struct FleetPublishCost: Sendable, Hashable {
    /// CPU time spent publishing, in milliseconds: the publisher's own work (snapshot, build, encode, hand-off)
    /// on its thread plus the publishing Redis client's thread (the `SET` sent and answered).
    public var cpuMilliseconds: Double
    /// The whole process's CPU time (user + system, every thread) in milliseconds, from `getrusage`.
    public var processCPUMilliseconds: Double
    /// Views published.
    public var publishes: Int

    /// Creates a cost.
    public init(cpuMilliseconds: Double, processCPUMilliseconds: Double, publishes: Int) {
        self.cpuMilliseconds = cpuMilliseconds
        self.processCPUMilliseconds = processCPUMilliseconds
        self.publishes = publishes
    }

    /// ``cpuMilliseconds`` in percent of ``processCPUMilliseconds``; `nil` before any CPU time was counted.
    public var percentOfProcess: Double? {
        self.processCPUMilliseconds > 0 ? 100 * self.cpuMilliseconds / self.processCPUMilliseconds : nil
    }
}
