public import KRPC
public import KRPCPolicy
public import Logging
import Synchronization

/// Reads the fault injected into one server from its key `krpc:fault:<host:port>` (DESIGN.md "Contracts").
///
/// ``run()`` polls the key (`GET` and `PTTL`, pipelined) every ``Configuration/pollInterval`` (50 ms by
/// default, so a change takes effect within 200 ms even when a poll is slow) and keeps the parsed value
/// behind a lock; ``currentFault()`` only reads it, so it is cheap enough for every call.
///
/// - A missing key means healthy. A key with a TTL ends the fault by itself: Redis deletes it, and the
///   watcher also stops honoring it locally at the deadline it read, should Redis be unreachable then.
/// - A value that is not a fault (see ``Fault/init(parsing:)``) is ignored (healthy) with one warning per
///   distinct bad value.
/// - With `honor: false` (a server started without `--allow-fault-injection`) ``currentFault()`` is always
///   `nil`; the first time each distinct fault value is seen, one warning says that it is ignored.
/// - While Redis is unreachable the last fault read stays in force for ``Configuration/staleAfter``, then
///   is dropped (fail healthy): a fault must not outlive the means to clear it.
///
/// ```swift
/// let faults = RedisFaultWatcher(client: client, node: me, honor: allowFaultInjection, logger: logger)
/// group.addTask { await faults.run() }
/// let server = KRPCServer(…, faults: faults)
/// ```
public final class RedisFaultWatcher: FaultSource {
    /// Tuning of a ``RedisFaultWatcher``; every field has a default.
    public struct Configuration: Sendable, Hashable {
        /// How often the key is read. Keep it at or under 100 ms (a change must apply within 200 ms).
        public var pollInterval: Duration
        /// How long the last fault read stays in force while Redis cannot be read.
        public var staleAfter: Duration

        /// Creates a configuration; every field has a default.
        public init(pollInterval: Duration = .milliseconds(50), staleAfter: Duration = .seconds(5)) {
            self.pollInterval = pollInterval
            self.staleAfter = staleAfter
        }
    }

    private struct State {
        var observation: FaultKeyState?
        /// Local deadline of the fault (its TTL, or the staleness limit while Redis is unreachable).
        var faultExpiry: ContinuousClock.Instant?
        var lastSuccessfulPoll: ContinuousClock.Instant?
        var polls = 0
        /// The malformed value last warned about, so a value that stays is warned about once (one value, not a
        /// set: the key can take any number of values over a process's life).
        var warnedMalformed: String?
        /// The fault last reported as ignored (on a server without fault injection), for the same reason.
        var warnedIgnored: Fault?
    }

    private enum LogEvent {
        case injected(Fault, ttl: Duration?)
        case cleared
        case malformed(String, reason: String)
        case ignored(Fault)
        case stale(Fault)
    }

    /// The client the key is read through (shared with others is fine).
    public let client: RedisClient
    /// The node whose key is watched.
    public let node: NodeAddress
    /// Whether faults are applied (`--allow-fault-injection`).
    public let honor: Bool
    /// Poll interval and staleness limit.
    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    /// Creates a watcher for `node`'s fault key; call ``run()`` to start polling.
    public init(
        client: RedisClient,
        node: NodeAddress,
        honor: Bool,
        configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.client = client
        self.node = node
        self.honor = honor
        self.configuration = configuration
        self.logger = logger
    }

    /// The fault in force now, or `nil` (always `nil` when not honoring faults). Cheap: a lock and a clock read.
    public func currentFault() -> Fault? {
        guard self.honor else { return nil }
        return self.state.withLock { state in
            guard let fault = state.observation?.fault else { return nil }
            if let expiry = state.faultExpiry, ContinuousClock.now >= expiry { return nil }
            return fault
        }
    }

    /// What the key held at the last successful read, `nil` when absent (also when faults are not honored).
    public var observation: FaultKeyState? { self.state.withLock { $0.observation } }

    /// How many reads of the key have completed (successfully or not): a clock for tests and diagnostics.
    public var pollCount: Int { self.state.withLock { $0.polls } }

    /// Polls until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do throws(RedisError) {
                try await self.poll()
            } catch {
                // The client logs connection changes; the stale-fault rule is applied in poll().
            }
            do {
                try await Task.sleep(for: self.configuration.pollInterval)
            } catch {
                return
            }
        }
    }

    /// Reads the key once and updates the fault.
    /// - Throws: ``RedisError`` when Redis cannot be read (the last fault stays for
    ///   ``Configuration/staleAfter``).
    public func poll() async throws(RedisError) {
        let key = RedisKeys.fault(self.node)
        let replies: [RedisValue]
        do {
            replies = try await self.client.pipeline([RedisCommand("GET", key), RedisCommand("PTTL", key)])
        } catch {
            let events = self.state.withLock { state -> [LogEvent] in
                state.polls += 1
                let now = ContinuousClock.now
                guard let fault = state.observation?.fault, let last = state.lastSuccessfulPoll else { return [] }
                let staleAt = last + self.configuration.staleAfter
                if now >= staleAt {
                    state.observation = nil
                    state.faultExpiry = nil
                    return [.stale(fault)]
                }
                state.faultExpiry = min(state.faultExpiry ?? staleAt, staleAt)
                return []
            }
            self.log(events)
            throw error
        }
        let now = ContinuousClock.now
        let (observation, problem) = FaultKeyState.read(value: replies[0], pttl: replies[1])
        let events = self.state.withLock { state -> [LogEvent] in
            state.polls += 1
            state.lastSuccessfulPoll = now
            let previous = state.observation
            state.observation = observation
            state.faultExpiry = observation?.timeToLive.map { now + $0 }
            var events: [LogEvent] = []
            let malformed = problem == nil ? nil : observation?.value
            if let problem, let malformed, malformed != state.warnedMalformed {
                events.append(.malformed(malformed, reason: problem))
            }
            state.warnedMalformed = malformed
            let fault = observation?.fault
            if self.honor {
                if fault != previous?.fault {
                    events.append(fault.map { .injected($0, ttl: observation?.timeToLive) } ?? .cleared)
                }
            } else {
                if let fault, fault != state.warnedIgnored { events.append(.ignored(fault)) }
                state.warnedIgnored = fault
            }
            return events
        }
        self.log(events)
    }

    private func log(_ events: [LogEvent]) {
        let base: Logger.Metadata = ["krpc.node": "\(self.node)", "redis.key": "\(RedisKeys.fault(self.node))"]
        for event in events {
            switch event {
            case .injected(let fault, let ttl):
                var metadata = base
                metadata["krpc.fault"] = "\(fault)"
                if let ttl { metadata["krpc.fault_ttl"] = "\(ttl)" }
                self.logger.info("fault injected", metadata: metadata)
            case .cleared:
                self.logger.info("fault cleared", metadata: base)
            case .malformed(let value, let reason):
                var metadata = base
                metadata["krpc.fault_value"] = "\(LogText.cut(value))"
                metadata["krpc.reason"] = "\(LogText.cut("\(reason)"))"
                self.logger.warning("ignoring a malformed fault value", metadata: metadata)
            case .ignored(let fault):
                var metadata = base
                metadata["krpc.fault"] = "\(fault)"
                self.logger.warning(
                    "fault key set but fault injection is off (start the server with --allow-fault-injection); ignoring it",
                    metadata: metadata
                )
            case .stale(let fault):
                var metadata = base
                metadata["krpc.fault"] = "\(fault)"
                metadata["krpc.stale_after"] = "\(self.configuration.staleAfter)"
                self.logger.info("fault dropped: redis unreachable, its key cannot be read", metadata: metadata)
            }
        }
    }
}
