public import KRPC
public import KRPCPolicy
public import KRPCRedis
public import Logging
import KRPCWire
import Synchronization

/// Runs a ``DemoScenario`` against a live cluster through a running ``KRPCChannel``: sets faults
/// through the Redis fault keys, makes calls, watches the breakers, reads the Redis counts.
///
/// Calls are made one after the other, like the seed's experiments. Faults set by a scenario are
/// cleared when it ends, so scenarios can run back to back.
public struct ScenarioRunner: Sendable {
    public let channel: KRPCChannel
    public let redis: RedisClient
    /// The nodes in scenario order: faults go to the first (and the second).
    public let nodes: [NodeAddress]
    public var logger: Logger

    public init(channel: KRPCChannel, redis: RedisClient, nodes: [NodeAddress], logger: Logger) {
        self.channel = channel
        self.redis = redis
        self.nodes = nodes
        self.logger = logger
    }

    /// Runs `scenario` and returns what happened.
    /// - Throws: ``ScenarioError`` when the cluster is not in a state to run it (too few nodes,
    ///   Redis unreachable, nodes not healthy to begin with).
    public func run(_ scenario: DemoScenario) async throws -> ScenarioObservation {
        guard self.nodes.count >= scenario.minimumNodes else {
            throw ScenarioError("scenario \(scenario.rawValue) needs \(scenario.minimumNodes) nodes, the cluster has \(self.nodes.count)")
        }
        let injector = FaultInjector(client: self.redis)
        for node in self.nodes { _ = try? await injector.clear(node) }
        // Steady state first: every node closed and past its slow start (a node that joined or
        // recovered a moment ago takes a reduced share for a few seconds, which would skew the counts).
        try await self.waitForStates("every node HEALTHY and at full share before the scenario", timeout: .seconds(15)) {
            states in
            let ramping = Set(self.channel.snapshot().nodes.filter { $0.slowStartFactor < 1 }.map(\.address))
            return self.nodes.allSatisfy { states[$0] == .closed && !ramping.contains($0) }
        }
        let before = try await self.totals()
        let start = ContinuousClock.now
        let eventsBefore = self.channel.snapshot().events.count
        var o = ScenarioObservation(nodes: self.nodes, probeInterval: self.channel.configuration.breaker.probe?.interval ?? .seconds(1))
        defer { }

        switch scenario {
        case .balance:
            try await self.call(300, into: &o)
            o.statesUnderFault = self.states()

        case .error:
            try await injector.inject(.error, into: self.nodes[0], for: .seconds(120))
            try await self.faultsTakeEffect()
            try await self.call(200, into: &o)
            o.statesUnderFault = self.states()

        case .errorAndTimeout:
            try await injector.inject(.error, into: self.nodes[0], for: .seconds(120))
            try await injector.inject(.timeout, into: self.nodes[1], for: .seconds(120))
            try await self.faultsTakeEffect()
            // Call until both are isolated (at most 30 s), then 50 more that must all land on the third.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                try await self.call(10, into: &o)
                let s = self.states()
                if s[self.nodes[0]] == .open && s[self.nodes[1]] == .open { break }
            }
            o.statesUnderFault = self.states()
            let served = self.served()
            try await self.call(50, into: &o)
            o.callsAfterIsolation = 50
            let servedAfter = self.served()
            for node in self.nodes { o.servedAfterIsolation[node] = (servedAfter[node] ?? 0) - (served[node] ?? 0) }

        case .recover:
            try await injector.inject(.error, into: self.nodes[0], for: .seconds(120))
            try await self.faultsTakeEffect()
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline, self.states()[self.nodes[0]] != .open {
                try await self.call(5, into: &o)
            }
            o.statesUnderFault = self.states()
            _ = try await injector.clear(self.nodes[0])
            // The server sees the cleared key within its poll interval; recovery is timed from here.
            let healed = ContinuousClock.now
            let recoverBy = healed + .seconds(10)
            while ContinuousClock.now < recoverBy {
                try await self.call(1, into: &o)
                if self.states()[self.nodes[0]] == .closed {
                    o.recoveryTime = ContinuousClock.now - healed
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        o.elapsed = ContinuousClock.now - start
        for node in self.nodes { _ = try? await injector.clear(node) }

        // Servers flush their counts every 100 ms: wait until the calls made are all counted.
        var after = try await self.totals()
        let countBy = ContinuousClock.now + .seconds(3)
        while after.subtracting(before).calls < o.calls, ContinuousClock.now < countBy {
            try await Task.sleep(for: .milliseconds(50))
            after = try await self.totals()
        }
        let delta = after.subtracting(before)
        for node in self.nodes {
            o.redisCalls[node] = delta.callsByNode[node] ?? 0
            o.redisErrors[node] = delta.errorsByNode[node] ?? 0
        }
        let events = self.channel.snapshot().events.dropFirst(eventsBefore)
        o.transitions = events.compactMap { event in
            guard let node = event.node, case .breaker(let from, let to, let reason) = event.kind, event.time >= start else {
                return nil
            }
            return .init(offset: event.time - start, node: node, from: from, to: to, reason: reason)
        }
        o.finalStates = self.states()
        return o
    }

    /// Servers read their fault key within 200 ms (their documented bound): start the calls after
    /// that, as in the seed, where the node was failing before the experiment began.
    private func faultsTakeEffect() async throws {
        try await Task.sleep(for: .milliseconds(250))
    }

    private func call(_ count: Int, into o: inout ScenarioObservation) async throws {
        var request = LoginRequest()
        request.name = "zhangsan"
        request.pwd = "123456"
        for _ in 0..<count {
            try Task.checkCancellation()
            o.calls += 1
            do {
                _ = try await UserServiceClient(self.channel).login(request)
            } catch {
                o.callerFailures += 1
                self.logger.debug("call failed", metadata: ["krpc.error": "\(error)"])
            }
        }
    }

    private func totals() async throws -> CallTotals {
        do {
            return try await CallTotals.read(self.channel.key, from: self.redis)
        } catch {
            throw ScenarioError("cannot read the call counts from Redis: \(error)")
        }
    }

    private func states() -> [NodeAddress: BreakerState] {
        Dictionary(self.channel.snapshot().nodes.map { ($0.address, $0.breaker.state) }, uniquingKeysWith: { a, _ in a })
    }

    private func served() -> [NodeAddress: Int] {
        Dictionary(self.channel.snapshot().nodes.map { ($0.address, $0.successes) }, uniquingKeysWith: { a, _ in a })
    }

    private func waitForStates(
        _ what: String,
        timeout: Duration,
        _ condition: ([NodeAddress: BreakerState]) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(self.states()) {
            guard ContinuousClock.now < deadline else {
                let states = self.states().sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                throw ScenarioError("timed out waiting for \(what): \(states.joined(separator: ", "))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// A scenario could not run.
public struct ScenarioError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
