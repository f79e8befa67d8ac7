public import KRPCPolicy
public import NIOCore
public import NIOPosix
import Synchronization
import Logging

/// The client stack for one service method: discovery, one persistent connection per node, load
/// balancing, a circuit breaker and health probes per node, failover and hedging.
///
/// Give it a registry and a ``ServiceKey``; ``run()`` follows the registry's membership (and must
/// run for the channel to know any node); ``call(service:method:payload:deadline:)`` turns a call
/// into a response from a healthy node. The breakers are fed automatically: transport errors,
/// `unavailable`, `internal` and deadline exceeded count against a node; caller errors (invalid
/// request, unknown method) and cancellations do not. Open breakers are probed with
/// `Health.Check` on their own schedule, so a node recovers without costing user calls.
///
/// ```swift
/// let channel = KRPCChannel(key: ServiceKey(service: "UserServiceRpc", method: "Login"), registry: registry)
/// let runner = Task { await channel.run() }
/// let reply = try await UserServiceClient(channel).login(name: "zhangsan", pwd: "123456")
/// let snapshot = channel.snapshot()        // what the dashboard shows
/// runner.cancel()
/// ```
public final class KRPCChannel: KRPCCaller, Sendable {
    /// The service method whose members this channel calls.
    public let key: ServiceKey
    public let configuration: Configuration
    private let registry: any ServiceRegistry
    private let eventLoopGroup: any EventLoopGroup
    /// Runs the channel's own tasks (attempts, hedge timers, probes) on its home event loop.
    private let homeExecutor: EventLoopTaskExecutor
    let state: Mutex<ChannelState>
    private var logger: Logger { self.configuration.logger }

    /// Creates a channel; call ``run()`` to start following the registry.
    /// - Parameters:
    ///   - key: the service method to discover (nodes are those registered under it).
    ///   - registry: where nodes are discovered.
    ///   - configuration: balancing, breaker, failover, hedging settings.
    ///   - eventLoopGroup: where node connections run.
    ///   - seed: seeds the channel's random generator (balancing, jitter); fixed in tests.
    public init(
        key: ServiceKey,
        registry: any ServiceRegistry,
        configuration: Configuration = Configuration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    ) {
        self.key = key
        self.registry = registry
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.homeExecutor = EventLoopTaskExecutor(eventLoop: eventLoopGroup.next())
        self.state = Mutex(ChannelState(key: key, configuration: configuration, now: .now, seed: seed))
    }

    /// A task executor on the channel's home event loop, where its own tasks (hedged attempts,
    /// hedge timers, probes) run.
    ///
    /// Callers that make many calls can run their tasks on it: with a one-loop `eventLoopGroup`
    /// the callers, the attempts and every node connection then share one thread, and a call
    /// wakes no other thread (what keeps krpc-top's own CPU use low).
    public var executor: any TaskExecutor { self.homeExecutor }

    /// The loop behind ``executor``.
    public var homeEventLoop: any EventLoop { self.homeExecutor.eventLoop }

    // MARK: Running

    /// Follows membership and registry state, ticks breakers and sends due probes, until cancelled.
    /// Closes every node connection when it returns.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await members in self.registry.discover(self.key) {
                    self.apply(members: members)
                }
            }
            group.addTask {
                for await registryState in self.registry.stateUpdates() {
                    self.state.withLock { s in
                        guard s.registryState != registryState else { return }
                        s.registryState = registryState
                        s.emit(.registry(registryState), node: nil, now: .now)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: self.configuration.tickInterval) } catch { break }
                    self.tick()
                }
            }
            await group.next()
            group.cancelAll()
        }
        let connections = self.state.withLock { s in
            s.subscribers.values.forEach { $0.finish() }
            s.subscribers.removeAll()
            return s.nodes.values.map(\.connection)
        }
        for connection in connections { await connection.close() }
    }

    private func apply(members: [ServiceInstance]) {
        let removed = self.state.withLock { s in
            s.apply(
                members: members,
                makeConnection: { NodeConnection(to: $0, configuration: self.configuration.connection, eventLoopGroup: self.eventLoopGroup) },
                now: .now
            )
        }
        self.logger.debug("membership", metadata: ["krpc.key": "\(self.key)", "krpc.nodes": "\(members.count)"])
        // Calls in flight to a node that left may still be answered (it drains); close once they had their time.
        let grace = self.configuration.defaultDeadline
        for connection in removed {
            Task {
                try? await Task.sleep(for: grace)
                await connection.close()
            }
        }
    }

    private func tick() {
        let probes = self.state.withLock { $0.tick(now: .now) }
        for (address, ticket, connection) in probes {
            Task(executorPreference: self.homeExecutor) { await self.probe(address, ticket, connection) }
        }
    }

    private func probe(_ address: NodeAddress, _ ticket: ProbeTicket, _ connection: NodeConnection) async {
        let timeout = max(.milliseconds(1), ticket.deadline - .now)
        let outcome: CallOutcome
        do {
            let response = try await HealthClient(connection).check(deadline: timeout)
            outcome = response.status == .serving
                ? .success : .failure(kind: .unavailable, message: "health check: \(response.status)")
        } catch {
            outcome = .failure(kind: Self.failureKind(of: error) ?? .unavailable, message: error.message)
        }
        self.state.withLock { $0.finishProbe(address, ticket, outcome, now: .now) }
    }

    // MARK: Control

    /// Switches the balancer (the dashboard's `b` key). Takes effect for the next call.
    public func setBalancer(_ kind: BalancerKind) {
        self.state.withLock { s in
            guard s.balancer.kind != kind else { return }
            s.balancer = LoadBalancer(kind: kind)
            s.emit(.balancerChanged(kind), node: nil, now: .now)
        }
    }

    /// The events from now on (breaker transitions, membership, panic, registry), until ``run()`` ends.
    public func events() -> AsyncStream<KRPCChannelEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: KRPCChannelEvent.self, bufferingPolicy: .bufferingNewest(1024))
        self.state.withLock { s in
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[id] = continuation
            // Removed a moment later, not under the task-status lock the runtime holds here (we yield under ours).
            continuation.onTermination = { [weak self] _ in
                Task { _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
            }
        }
        return stream
    }

    /// Everything the channel knows now.
    public func snapshot() -> ChannelSnapshot {
        let now = ContinuousClock.now
        return self.state.withLock { s in
            let nodes = s.order.compactMap { address -> NodeSnapshot? in
                guard let node = s.nodes[address] else { return nil }
                let perSecond = node.window.perSecond(now: now)
                return NodeSnapshot(
                    address: address,
                    weight: node.instance.weight,
                    faultInjection: node.instance.faultInjection,
                    breaker: node.breaker.status(now: now),
                    nextProbeIn: node.breaker.timeUntilNextProbe(now: now),
                    connection: node.connection.state.description,
                    inFlight: node.inFlight,
                    successes: node.successes,
                    failures: node.failures,
                    timeouts: node.timeouts,
                    lastError: node.lastError,
                    slowStartFactor: node.slowStart.factor(now: now),
                    latency: node.window.summary(now: now),  // cached in the window until it changes
                    latencyPerSecond: perSecond.latency,
                    attemptsPerSecond: perSecond.attempts
                )
            }
            return ChannelSnapshot(
                key: s.key,
                takenAt: now,
                balancer: s.balancer.kind,
                panic: s.panic,
                registryState: s.registryState,
                nodes: nodes,
                calls: s.calls,
                failures: s.failures,
                retries: s.retries,
                hedges: s.hedges,
                latency: s.window.summary(now: now),
                callsPerSecond: s.window.perSecond(now: now).attempts,
                events: s.events
            )
        }
    }

    // MARK: Calls

    /// Calls `service`.`method` on a node chosen by the balancer among the healthy ones, failing
    /// over and hedging as configured, within `deadline` (default ``Configuration/defaultDeadline``).
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration?
    ) async throws(KRPCError) -> ByteBuffer {
        try await self.call(service: service, method: method, payload: payload, deadline: deadline, hashKey: nil)
    }

    /// Like ``call(service:method:payload:deadline:)``, with the key the consistent-hash balancer hashes.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration?,
        hashKey: String?
    ) async throws(KRPCError) -> ByteBuffer {
        let start = ContinuousClock.now
        let request = Request(
            service: service,
            method: method,
            payload: payload,
            startedAt: start,
            deadline: start + (deadline ?? self.configuration.defaultDeadline),
            hashKey: hashKey,
            idempotent: !self.configuration.nonIdempotentMethods.contains("\(service).\(method)")
        )
        let result: Result<ByteBuffer, KRPCError>
        if self.configuration.hedging != nil && request.idempotent {
            result = await self.hedgedCall(request)
        } else {
            result = await self.sequentialCall(request)
        }
        let end = ContinuousClock.now
        self.state.withLock { s in
            s.finishCall(latency: (try? result.get()) != nil ? end - start : nil, now: end)
        }
        return try result.get()
    }

    struct Request: Sendable {
        var service: String
        var method: String
        var payload: [UInt8]
        var startedAt: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var hashKey: String?
        var idempotent: Bool
    }

    private func noNode() -> KRPCError {
        KRPCError(code: .unavailable, message: "no node serves \(self.key)")
    }

    /// The first attempt's node. A call made before the registry answered for the first time waits
    /// for that answer (within its deadline) instead of failing: a client just started is not a
    /// cluster without nodes.
    func pickFirst(_ request: Request) async -> ChannelState.Pick? {
        while true {
            let (pick, seen) = self.state.withLock { s in
                (s.pickFirst(hashKey: request.hashKey, now: .now), s.hasSeenMembership)
            }
            if pick != nil || seen || ContinuousClock.now >= request.deadline { return pick }
            do { try await Task.sleep(for: .milliseconds(5)) } catch { return nil }
        }
    }

    /// Attempts one after the other: a failure that counts is retried on another node.
    private func sequentialCall(_ request: Request) async -> Result<ByteBuffer, KRPCError> {
        guard var pick = await self.pickFirst(request) else {
            return .failure(self.noNode())
        }
        var tried: Set<NodeAddress> = [pick.address]
        while true {
            let (result, kind) = await self.attempt(pick, request)
            guard case .failure(let error) = result else { return result }
            guard let kind, request.idempotent,
                let next = self.state.withLock({ s in
                    s.pickRetry(
                        after: kind, attemptsMade: tried.count, tried: tried, deadline: request.deadline,
                        hashKey: request.hashKey, now: .now
                    )
                })
            else { return .failure(error) }
            pick = next
            tried.insert(next.address)
        }
    }

    /// One attempt on one node; reports its outcome to the node's breaker and statistics.
    /// Returns the failure kind when the error counts against the node.
    func attempt(_ pick: ChannelState.Pick, _ request: Request) async -> (Result<ByteBuffer, KRPCError>, FailureKind?) {
        let start = ContinuousClock.now
        let remaining = request.deadline - start
        guard remaining > .zero else {
            self.state.withLock { $0.finish(pick, .ignored, now: start) }
            return (.failure(KRPCError(code: .deadlineExceeded, message: "deadline passed before an attempt on \(pick.address)")), nil)
        }
        do {
            let response = try await pick.connection.call(
                service: request.service, method: request.method, payload: request.payload, deadline: remaining
            )
            let end = ContinuousClock.now
            self.state.withLock { $0.finish(pick, .success(latency: end - start), now: end) }
            self.configuration.attemptObserver?(
                KRPCAttemptReport(node: pick.address, outcome: .success, latency: end - start, endedAt: end))
            return (.success(response), nil)
        } catch {
            let kind = Self.failureKind(of: error)
            let outcome: ChannelState.AttemptOutcome = kind.map { .failure($0, message: error.message) } ?? .ignored
            let end = ContinuousClock.now
            self.state.withLock { $0.finish(pick, outcome, now: end) }
            if let kind, let observer = self.configuration.attemptObserver {
                observer(KRPCAttemptReport(
                    node: pick.address, outcome: kind == .deadlineExceeded ? .timeout : .failure, latency: end - start,
                    endedAt: end))
            }
            return (.failure(error), kind)
        }
    }

    /// Which errors count against a node, and as what. `nil`: the caller's fault or choice.
    static func failureKind(of error: KRPCError) -> FailureKind? {
        switch error.code {
        case .unavailable, .overloaded: .unavailable
        case .internal, .unknown: .internal
        case .deadlineExceeded: .deadlineExceeded
        case .protocolError: .transport
        default: nil
        }
    }
}
