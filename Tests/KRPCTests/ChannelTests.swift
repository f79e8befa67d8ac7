import KRPCPolicy
import KRPCWire
import NIOCore
import Synchronization
import Testing

@testable import KRPC

/// A cluster of real servers (in process, real sockets on 127.0.0.1) behind an in-memory registry,
/// each with a fault the test sets directly (the Redis fault keys are tested with the real binary).
final class TestCluster: Sendable {
    struct Node: Sendable {
        let server: KRPCServer
        let address: NodeAddress
        let faults: TestFaults
        let running: Task<Void, any Error>
    }

    let key = ServiceKey(service: UserServiceRpc.name, method: UserServiceRpc.login)
    let registry = InMemoryServiceRegistry()
    private let nodes = Mutex<[NodeAddress: Node]>([:])

    var addresses: [NodeAddress] { self.nodes.withLock { $0.keys.sorted() } }

    /// Starts a server and registers it.
    @discardableResult
    func addNode() async throws -> NodeAddress {
        let faults = TestFaults()
        let server = KRPCServer(
            configuration: KRPCServer.Configuration(host: "127.0.0.1", port: 0, gracePeriod: .seconds(2), faultSource: faults),
            services: [UserService(), EchoService()]
        )
        let running = Task { try await server.run() }
        let address = try await server.listeningAddress()
        self.nodes.withLock { $0[address] = Node(server: server, address: address, faults: faults, running: running) }
        try await self.registry.register(ServiceInstance(address: address), under: [self.key])
        return address
    }

    func setFault(_ fault: Fault?, on address: NodeAddress) {
        self.nodes.withLock { $0[address]?.faults.set(fault) }
    }

    /// Deregisters a node, then shuts it down gracefully (as krpc-server does on SIGTERM).
    func removeNode(_ address: NodeAddress) async throws {
        try await self.registry.deregister(address)
        guard let node = self.nodes.withLock({ $0.removeValue(forKey: address) }) else { return }
        node.server.beginGracefulShutdown()
        _ = try? await node.running.value
    }

    func shutdown() async {
        for address in self.addresses { try? await self.removeNode(address) }
    }

    static func with<T: Sendable>(nodes count: Int, _ body: (TestCluster) async throws -> T) async throws -> T {
        let cluster = TestCluster()
        do {
            for _ in 0..<count { try await cluster.addNode() }
            let result = try await body(cluster)
            await cluster.shutdown()
            return result
        } catch {
            await cluster.shutdown()
            throw error
        }
    }
}

/// A channel running for the duration of `body`.
func withChannel<T: Sendable>(
    _ cluster: TestCluster,
    configure: (inout KRPCChannel.Configuration) -> Void = { _ in },
    _ body: (KRPCChannel) async throws -> T
) async throws -> T {
    var configuration = KRPCChannel.Configuration()
    configure(&configuration)
    let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, configuration: configuration, seed: 42)
    let running = Task { await channel.run() }
    defer { running.cancel() }
    let expected = cluster.addresses.count
    try await waitUntil("the channel to see \(expected) nodes") { channel.snapshot().nodes.count == expected }
    return try await body(channel)
}

func login(_ channel: KRPCChannel, deadline: Duration? = nil) async throws(KRPCError) -> LoginResponse {
    var request = LoginRequest()
    request.name = "zhangsan"
    request.pwd = "123456"
    return try await UserServiceClient(channel).login(request, deadline: deadline)
}

extension ChannelSnapshot {
    func node(_ address: NodeAddress) -> NodeSnapshot? { self.nodes.first { $0.address == address } }
    func state(of address: NodeAddress) -> BreakerState? { self.node(address)?.breaker.state }
}

@Suite("Channel against real servers")
struct ChannelTests {
    @Test("round-robin: 300 calls on 3 healthy nodes are 100 each")
    func roundRobinSpreadsEvenly() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            try await withChannel(cluster) { channel in
                for _ in 0..<300 { _ = try await login(channel) }
                let snapshot = channel.snapshot()
                #expect(snapshot.nodes.map(\.successes) == [100, 100, 100])
                #expect(snapshot.calls == 300)
                #expect(snapshot.failures == 0)
            }
        }
    }

    @Test("a node answering errors opens after exactly 5 of its failures, and with failover the caller sees none")
    func erroringNodeIsIsolated() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            let broken = cluster.addresses[0]
            cluster.setFault(.error, on: broken)
            try await withChannel(cluster, configure: { c in
                // A long cool-down and no probes keep the node open for the whole test, so the
                // count of its failures is exactly what opened it.
                c.breaker.cooldown = Backoff(initial: .seconds(60), max: .seconds(60), multiplier: 2, jitter: 0)
                c.breaker.probe = nil
            }) { channel in
                for _ in 0..<60 { _ = try await login(channel) }  // throws if any call fails
                let snapshot = channel.snapshot()
                let node = try #require(snapshot.node(broken))
                #expect(node.breaker.state == .open)
                #expect(node.failures == 5)
                #expect(node.breaker.reason == "5 consecutive failures: internal 'injected error'")
                let others = snapshot.nodes.filter { $0.address != broken }
                #expect(others.map(\.successes).reduce(0, +) == 60)
                #expect(others.allSatisfy { $0.successes >= 25 }, "spread over the two others: \(others.map(\.successes))")
                #expect(snapshot.failures == 0)
                #expect(snapshot.events.contains {
                    $0.node == broken && $0.kind == .breaker(from: .closed, to: .open, reason: node.breaker.reason ?? "")
                })
            }
        }
    }

    @Test("one node erroring and one hanging: both broken within seconds, hedging hides it from the caller")
    func errorAndHangWithHedging() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            let (erroring, hanging, healthy) = (cluster.addresses[0], cluster.addresses[1], cluster.addresses[2])
            let hedgeDelay: Duration = .milliseconds(100)
            try await withChannel(cluster, configure: { c in
                c.hedging = HedgingPolicy(delay: hedgeDelay)
                c.defaultDeadline = .seconds(2)
            }) { channel in
                // The healthy p99 of this machine, now, with the same load shape.
                let healthyP99 = try await Self.runLoad(channel, calls: 200, concurrency: 4).p99
                cluster.setFault(.error, on: erroring)
                cluster.setFault(.timeout, on: hanging)
                let started = ContinuousClock.now
                let load = try await Self.runLoad(channel, calls: 600, concurrency: 4)
                try await waitUntil("both faulty nodes broken", limit: .seconds(10)) {
                    let s = channel.snapshot()
                    return s.state(of: erroring) == .open && s.state(of: hanging) == .open
                }
                let brokenAfter = ContinuousClock.now - started
                #expect(brokenAfter < .seconds(10))
                #expect(load.failures <= 5, "the caller saw \(load.failures) failed calls")
                #expect(load.p99 < hedgeDelay * 2 + healthyP99 + .milliseconds(20),
                        "p99 \(load.p99) vs hedge \(hedgeDelay) and healthy p99 \(healthyP99)")
                // Now everything goes to the healthy node.
                let before = channel.snapshot().node(healthy)?.successes ?? 0
                _ = try await Self.runLoad(channel, calls: 50, concurrency: 1)
                #expect((channel.snapshot().node(healthy)?.successes ?? 0) - before == 50)
            }
        }
    }

    @Test("a recovered node goes half-open then closed within one probe interval, no user call failing")
    func recoveryThroughProbes() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            let node = cluster.addresses[0]
            cluster.setFault(.error, on: node)
            try await withChannel(cluster) { channel in
                for _ in 0..<30 { _ = try await login(channel) }
                #expect(channel.snapshot().state(of: node) == .open)
                cluster.setFault(nil, on: node)
                let healed = ContinuousClock.now
                try await waitUntil("the node closed again", limit: .seconds(10)) {
                    channel.snapshot().state(of: node) == .closed
                }
                // One probe interval (1 s) plus the half-open step and scheduling slack.
                #expect(ContinuousClock.now - healed < .seconds(3))
                let transitions = channel.snapshot().events.compactMap { event -> BreakerState? in
                    guard event.node == node, case .breaker(_, let to, _) = event.kind else { return nil }
                    return to
                }
                #expect(transitions.suffix(2) == [.halfOpen, .closed])
                #expect(channel.snapshot().failures == 0)
            }
        }
    }

    @Test("a hanging node's failed probes read one way, 'no answer within <timeout>', whichever deadline ends them")
    func probeTimeoutsReadOneWay() async throws {
        // Three deadlines end a probe to a node that never answers, all at the probe's timeout: the connection's
        // timer, the server's (it answers deadline-exceeded), and the breaker's own backstop on the tick. Whichever
        // fires first, the breaker's reason is the same, so a dashboard folds the cycles into one line.
        try await TestCluster.with(nodes: 2) { cluster in
            let hanging = cluster.addresses[0]
            cluster.setFault(.timeout, on: hanging)
            try await withChannel(cluster, configure: { c in
                c.breaker.failureThreshold = 1
                c.breaker.cooldown = Backoff(initial: .milliseconds(50), max: .milliseconds(50), multiplier: 1, jitter: 0)
                c.breaker.probe = HealthProbeConfiguration(interval: .milliseconds(100), timeout: .milliseconds(100))
                c.defaultDeadline = .milliseconds(300)
            }) { channel in
                for _ in 0..<4 { _ = try? await login(channel) }
                @Sendable func reasons() -> [String] {
                    channel.snapshot().events.compactMap { event -> String? in
                        guard event.node == hanging, case .breaker(.halfOpen, .open, let reason) = event.kind else {
                            return nil
                        }
                        return reason
                    }
                }
                try await waitUntil("ten probe failures of the hanging node", limit: .seconds(20)) {
                    reasons().count >= 10
                }
                let expected = "health probe failed: deadline exceeded 'no answer within 100ms'"
                #expect(reasons().allSatisfy { $0 == expected }, "\(reasons())")
            }
        }
    }

    @Test("membership changes under load lose no call")
    func membershipChangeUnderLoad() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            try await withChannel(cluster) { channel in
                let counters = LoadFlags()
                let load = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<4 {
                            group.addTask {
                                while !counters.stop.load(ordering: .relaxed) {
                                    do { _ = try await login(channel) } catch { counters.failures.add(1, ordering: .relaxed) }
                                }
                            }
                        }
                    }
                }
                let added = try await cluster.addNode()
                try await waitUntil("the new node takes calls") { (channel.snapshot().node(added)?.successes ?? 0) > 20 }
                let leaving = cluster.addresses[0]
                try await cluster.removeNode(leaving)
                try await waitUntil("the node is gone") { channel.snapshot().node(leaving) == nil }
                let before = channel.snapshot().calls
                try await waitUntil("calls continue after the removal") { channel.snapshot().calls > before + 100 }
                counters.stop.store(true, ordering: .relaxed)
                await load.value
                #expect(counters.failures.load(ordering: .relaxed) == 0)
                #expect(channel.snapshot().failures == 0)
            }
        }
    }

    @Test("every node broken: panic mode spreads calls over all of them")
    func panicMode() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            for address in cluster.addresses { cluster.setFault(.error, on: address) }
            try await withChannel(cluster) { channel in
                for _ in 0..<60 { _ = try? await login(channel) }
                let snapshot = channel.snapshot()
                #expect(snapshot.panic)
                #expect(snapshot.events.contains { $0.kind == .panicStarted })
                // In panic the broken nodes still get calls (bypassing their breakers).
                let attemptsAfterPanic = snapshot.nodes.map(\.failures)
                #expect(attemptsAfterPanic.allSatisfy { $0 > 5 }, "\(attemptsAfterPanic)")
                for address in cluster.addresses { cluster.setFault(nil, on: address) }
                try await waitUntil("panic ends once nodes recover") { !channel.snapshot().panic }
            }
        }
    }

    @Test("calls to non-idempotent methods are never retried")
    func nonIdempotentNotRetried() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            cluster.setFault(.error, on: cluster.addresses[0])
            try await withChannel(cluster, configure: { c in
                c.nonIdempotentMethods = ["\(UserServiceRpc.name).\(UserServiceRpc.login)"]
            }) { channel in
                var failed = 0
                for _ in 0..<10 {
                    do { _ = try await login(channel) } catch { failed += 1 }
                }
                #expect(failed >= 1)
                #expect(channel.snapshot().retries == 0)
            }
        }
    }

    @Test("caller errors (unknown method) do not count against a node")
    func callerErrorsDoNotCount() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            try await withChannel(cluster) { channel in
                for _ in 0..<10 {
                    await expectKRPCError(.unknownMethod) {
                        try await channel.call(service: UserServiceRpc.name, method: "NoSuchMethod", payload: [], deadline: nil)
                    }
                }
                let node = try #require(channel.snapshot().nodes.first)
                #expect(node.breaker.state == .closed)
                #expect(node.failures == 0)
            }
        }
    }

    @Test("a call made before the registry first answered waits for it instead of failing")
    func callBeforeFirstMembership() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, seed: 1)
            let call = Task { try await login(channel) }
            try await Task.sleep(for: .milliseconds(100))  // the call is waiting: nothing runs the channel yet
            let running = Task { await channel.run() }
            defer { running.cancel() }
            _ = try await call.value
            #expect(channel.snapshot().calls == 1)
            #expect(channel.snapshot().failures == 0)
        }
    }

    @Test("a call parked before the first membership honours its deadline, with no run() to wake it")
    func parkedCallHonoursDeadline() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, seed: 1)
            let started = ContinuousClock.now
            let error = await expectKRPCError(.unavailable) { try await login(channel, deadline: .milliseconds(300)) }
            let waited = ContinuousClock.now - started
            #expect(error?.message.contains("no node serves") == true)
            #expect(waited >= .milliseconds(300), "woken before its deadline: \(waited)")
            #expect(waited < .seconds(5), "woken long after its deadline: \(waited)")
        }
    }

    @Test("a call parked before the first membership ends at once when its task is cancelled")
    func parkedCallEndsOnCancellation() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, seed: 1)
            let started = ContinuousClock.now
            let call = Task { try await login(channel, deadline: .seconds(60)) }
            try await waitUntil("the call to park") { channel.state.withLock { !$0.membershipWaiters.isEmpty } }
            call.cancel()
            await #expect(throws: KRPCError.self) { try await call.value }
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(channel.state.withLock { $0.membershipWaiters.isEmpty && $0.abandonedWaiters.isEmpty })
        }
    }

    @Test("parked calls are resumed by the first membership (several at once), and by run() ending")
    func parkedCallsResumedByDiscovery() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, seed: 1)
            let calls = (0..<3).map { _ in Task { try await login(channel, deadline: .seconds(60)) } }
            try await waitUntil("three calls to park") { channel.state.withLock { $0.membershipWaiters.count == 3 } }
            let running = Task { await channel.run() }
            for call in calls { _ = try await withTimeout(.seconds(20), "a parked call") { try await call.value } }
            running.cancel()
            await running.value

            // A channel that stops before any membership: its parked call fails at once, not at its deadline.
            let empty = InMemoryServiceRegistry()
            let silent = KRPCChannel(key: cluster.key, registry: SilentRegistry(empty), seed: 1)
            let stopping = Task { await silent.run() }
            let parked = Task { try await login(silent, deadline: .seconds(60)) }
            try await waitUntil("the call to park") { silent.state.withLock { !$0.membershipWaiters.isEmpty } }
            stopping.cancel()
            await stopping.value
            let error = try await withTimeout(.seconds(20), "the parked call after run() ended") {
                await expectKRPCError(.unavailable) { try await parked.value }
            }
            #expect(error != nil)
        }
    }

    @Test("run() ending ends the hedged attempts it owns: a call on hanging nodes fails at once, nothing left in flight")
    func runEndEndsHedgedAttempts() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            for address in cluster.addresses { cluster.setFault(.timeout, on: address) }
            var configuration = KRPCChannel.Configuration()
            configuration.hedging = HedgingPolicy(delay: .milliseconds(20))
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, configuration: configuration, seed: 7)
            let running = Task { await channel.run() }
            try await waitUntil("both nodes known") { channel.snapshot().nodes.count == 2 }
            let call = Task { try await login(channel, deadline: .seconds(60)) }
            try await waitUntil("the call to hedge onto the second node") {
                channel.snapshot().nodes.allSatisfy { $0.inFlight == 1 }
            }
            running.cancel()
            await running.value
            // run() returned: every attempt it owned has ended and reported.
            #expect(channel.snapshot().nodes.allSatisfy { $0.inFlight == 0 })
            let started = ContinuousClock.now
            await #expect(throws: KRPCError.self) {
                try await withTimeout(.seconds(20), "the hedged call after run() ended") { try await call.value }
            }
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test("events(): a subscriber's stream finishes when run() ends; one asked for after that is finished at once")
    func eventsFinishWithRun() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let channel = KRPCChannel(key: cluster.key, registry: cluster.registry, seed: 1)
            let events = channel.events()
            let running = Task { await channel.run() }
            try await waitUntil("the node to be known") { channel.snapshot().nodes.count == 1 }
            running.cancel()
            await running.value
            let seen = try await withTimeout(.seconds(20), "the early subscriber's stream to finish") {
                var kinds: [KRPCChannelEvent.Kind] = []
                for await event in events { kinds.append(event.kind) }
                return kinds
            }
            #expect(seen.contains(.nodeJoined))
            let late = try await withTimeout(.seconds(20), "the late subscriber's stream to finish") {
                var count = 0
                for await _ in channel.events() { count += 1 }
                return count
            }
            #expect(late == 0)
        }
    }

    @Test("no node registered: a clear unavailable error, not a hang")
    func noNodes() async throws {
        try await TestCluster.with(nodes: 0) { cluster in
            try await withChannel(cluster) { channel in
                let error = await expectKRPCError(.unavailable) { try await login(channel) }
                #expect(error?.message.contains("no node serves UserServiceRpc.Login") == true)
            }
        }
    }

    // MARK: Load

    final class LoadFlags: Sendable {
        let failures = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    struct LoadResult {
        var failures: Int
        var p99: Duration
    }

    static func runLoad(_ channel: KRPCChannel, calls: Int, concurrency: Int) async throws -> LoadResult {
        let perWorker = calls / concurrency
        let results = await withTaskGroup(of: [Duration?].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var out: [Duration?] = []
                    for _ in 0..<perWorker {
                        let start = ContinuousClock.now
                        do {
                            _ = try await login(channel)
                            out.append(ContinuousClock.now - start)
                        } catch {
                            out.append(nil)
                        }
                    }
                    return out
                }
            }
            var all: [Duration?] = []
            for await part in group { all += part }
            return all
        }
        let latencies = results.compactMap { $0 }.sorted()
        let p99 = latencies.isEmpty ? .zero : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        return LoadResult(failures: results.count - latencies.count, p99: p99)
    }
}

/// A registry whose discovery never answers (a ZooKeeper not reached yet), with the state of `base`.
final class SilentRegistry: ServiceRegistry {
    let base: InMemoryServiceRegistry
    /// Kept, so the discovery streams stay open (silent) rather than finished.
    private let sinks = Mutex<[AsyncStream<[ServiceInstance]>.Continuation]>([])
    init(_ base: InMemoryServiceRegistry) { self.base = base }
    func register(_ instance: ServiceInstance, under keys: [ServiceKey]) async throws {}
    func deregister(_ address: NodeAddress) async throws {}
    func discover(_ key: ServiceKey) -> AsyncStream<[ServiceInstance]> {
        let (stream, sink) = AsyncStream.makeStream(of: [ServiceInstance].self)
        self.sinks.withLock { $0.append(sink) }
        return stream
    }
    var state: RegistryState { self.base.state }
    func stateUpdates() -> AsyncStream<RegistryState> { self.base.stateUpdates() }
}
