public import KRPCPolicy
public import KRPCWire
public import NIOCore
public import NIOPosix
import Logging
import Synchronization

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
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await channel.run() }   // owns the channel's background work
///     let reply = try await UserServiceClient(channel).login(name: "zhangsan", pwd: "123456")
///     let snapshot = channel.snapshot()       // what the dashboard shows
///     group.cancelAll()
/// }
/// ```
public final class KRPCChannel: KRPCCaller, Sendable {
    /// The service method whose members this channel calls.
    public let key: ServiceKey
    public let configuration: Configuration
    private let registry: any ServiceRegistry
    private let eventLoopGroup: any EventLoopGroup
    /// Runs the channel's own tasks (attempts, hedge timers, probes) on its home event loop.
    private let homeExecutor: EventLoopTaskExecutor
    private let interceptors: ClientInterceptorChain?
    let state: Mutex<ChannelState>
    /// The ``events()`` subscribers.
    let broadcaster = EventBroadcaster<KRPCChannelEvent>(bufferingPolicy: .bufferingNewest(1024))
    typealias Job = @Sendable () async -> Void
    /// Background work (probes, delayed closes, hedged calls' attempts) for ``run()`` to run as its children.
    /// Unbounded: each job is owed to something already bounded (a node that left, a due probe, a call).
    private let jobs = WorkQueue<Job>()
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
        self.interceptors = ClientInterceptorChain(configuration.interceptors)
        self.state = Mutex(
            ChannelState(key: key, configuration: configuration, broadcaster: self.broadcaster, now: .now, seed: seed)
        )

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

    /// Follows membership and registry state, ticks breakers and sends due probes, until cancelled (or until
    /// the registry ends its streams). Closes every node connection and finishes every ``events()`` stream when
    /// it returns. Call it once.
    ///
    /// Everything the channel starts in the background (health probes, the delayed close of a node that left)
    /// runs as a child task of this method, on the channel's home loop, and ends with it.
    public func run() async {
        // All of it on the home loop: a call on that loop submits its attempts to the job loop below without waking
        // another thread, and the breakers' tick is the loop's own timer (`Task.sleep` wakes the runtime's timer
        // thread and a pool thread, then hops back: with a 50 ms tick, most of an idle client's wake-ups).
        await withTaskExecutorPreference(self.homeExecutor) {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await members in self.registry.discover(self.key) {
                        await self.apply(members: members)
                    }
                    self.jobs.close()  // the registry is gone: so is the channel
                }
                group.addTask {
                    for await registryState in self.registry.stateUpdates() {
                        self.withState { s in
                            guard s.registryState != registryState else { return }
                            s.registryState = registryState
                            s.emit(.registry(registryState), node: nil, now: .now)
                        }
                    }
                    self.jobs.close()
                }
                group.addTask {
                    let loop = self.homeEventLoop
                    let interval = self.configuration.tickInterval
                    while !Task.isCancelled {
                        // On the grid: with other loops on this event loop (krpc-top's), one wake-up for all.
                        let next = TimerGrid.align(.now + interval, step: interval)
                        do { try await loop.sleep(until: next) } catch { break }
                        self.tick()
                    }
                }
                // Ends when cancelled or when the registry ended a stream, after every job accepted before.
                while let job = await self.jobs.next() {
                    group.addTask(executorPreference: self.homeExecutor) { await job() }
                }
                group.cancelAll()
            }
        }
        let (connections, waiters) = self.state.withLock { s in
            s.stopped = true
            return (s.nodes.values.map(\.connection), s.takeMembershipWaiters())
        }
        self.broadcaster.finish()
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
        for connection in connections { await connection.close() }
    }

    /// Runs `job` as a child of ``run()`` (also when submitted before ``run()`` starts). Returns false when
    /// ``run()`` has ended or is ending: the job will not run.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        self.jobs.submit(job)
    }

    /// Runs `body` on the state under the lock, then delivers the events it emitted (outside the lock).
    func withState<Result>(_ body: (inout ChannelState) -> Result) -> Result {
        let result = self.state.withLock { body(&$0) }
        self.broadcaster.deliver()
        return result
    }

    private func apply(members: [ServiceInstance]) async {
        let (removed, waiters) = self.withState { s in
            let removed = s.apply(
                members: members,
                makeConnection: { NodeConnection(to: $0, configuration: self.configuration.connection, eventLoopGroup: self.eventLoopGroup) },
                now: .now
            )
            return (removed, s.takeMembershipWaiters())
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
        self.logger.debug("membership", metadata: ["krpc.key": "\(self.key)", "krpc.nodes": "\(members.count)"])
        // Calls in flight to a node that left may still be answered (it drains); close once they had their time
        // (or at once when run() ends).
        let grace = self.configuration.defaultDeadline
        for connection in removed {
            let submitted = self.submit {
                try? await Task.sleep(for: grace)  // cut short when run() ends
                await connection.close()
            }
            if !submitted { await connection.close() }  // run() is ending
        }
    }

    private func tick() {
        let probes = self.withState { $0.tick(now: .now) }
        for (address, ticket, connection) in probes {
            self.submit { await self.probe(address, ticket, connection) }
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
            // A deadline, the connection's or the server's, is the ticket's: it reads as the breaker's backstop does.
            let kind = Self.failureKind(of: error) ?? .unavailable
            outcome = kind == .deadlineExceeded ? ticket.unanswered : .failure(kind: kind, message: error.message)
        }
        self.withState { $0.finishProbe(address, ticket, outcome, now: .now) }
    }

    // MARK: Control

    /// Switches the balancer (the dashboard's `b` key). Takes effect for the next call.
    public func setBalancer(_ kind: BalancerKind) {
        self.withState { s in
            guard s.balancer.kind != kind else { return }
            s.balancer = LoadBalancer(kind: kind)
            s.emit(.balancerChanged(kind), node: nil, now: .now)
        }
    }

    /// The events from now on (breaker transitions, membership, panic, registry), until ``run()`` ends; a
    /// stream asked for after that is finished at once.
    ///
    /// Each stream keeps the newest 1,024 events when its consumer lags: a dashboard that falls behind loses
    /// the oldest, and the channel's memory stays bounded (the recent history is in ``snapshot()`` anyway).
    public func events() -> AsyncStream<KRPCChannelEvent> {
        self.broadcaster.subscribe()
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

    /// Like ``call(service:method:payload:deadline:)``, with metadata sent in the request header
    /// (through the channel's interceptors, ``Configuration/interceptors``).
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration?,
        metadata: KRPCMetadata
    ) async throws(KRPCError) -> ByteBuffer {
        try await self.call(
            service: service, method: method, payload: payload, deadline: deadline, metadata: metadata, hashKey: nil
        )
    }

    /// Like ``call(service:method:payload:deadline:metadata:)``, with the key the consistent-hash
    /// balancer hashes.
    public func call(
        service: String,
        method: String,
        payload: [UInt8],
        deadline: Duration?,
        metadata: KRPCMetadata = KRPCMetadata(),
        hashKey: String?
    ) async throws(KRPCError) -> ByteBuffer {
        let start = ContinuousClock.now
        let deadline = start + (deadline ?? self.configuration.defaultDeadline)
        guard let interceptors = self.interceptors else {
            return try await self.call(
                service: service, method: method, payload: payload, metadata: metadata, start: start,
                deadline: deadline, hashKey: hashKey
            )
        }
        return try await interceptors.run(
            ServiceKey(service: service, method: method), payload: payload, metadata: metadata, deadline: deadline
        ) { (key, payload, metadata, deadline) async throws(KRPCError) -> ByteBuffer in
            try await self.call(
                service: key.service, method: key.method, payload: payload, metadata: metadata, start: start,
                deadline: deadline, hashKey: hashKey
            )
        }
    }

    /// A call past the interceptors: attempts, failover, hedging.
    private func call(
        service: String,
        method: String,
        payload: [UInt8],
        metadata: KRPCMetadata,
        start: ContinuousClock.Instant,
        deadline: ContinuousClock.Instant,
        hashKey: String?
    ) async throws(KRPCError) -> ByteBuffer {
        let request = Request(
            service: service,
            method: method,
            payload: payload,
            metadata: metadata,
            startedAt: start,
            deadline: deadline,
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
        self.withState { s in
            s.finishCall(latency: (try? result.get()) != nil ? end - start : nil, now: end)
        }
        return try result.get()
    }

    struct Request: Sendable {
        var service: String
        var method: String
        var payload: [UInt8]
        var metadata: KRPCMetadata
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
            let (pick, settled) = self.withState { s in
                (s.pickFirst(hashKey: request.hashKey, now: .now), s.hasSeenMembership || s.stopped)
            }
            if pick != nil || settled || ContinuousClock.now >= request.deadline || Task.isCancelled { return pick }
            await self.waitForFirstMembership(until: request.deadline)
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
                let next = self.withState({ s in
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
            self.withState { $0.finish(pick, .ignored, now: start) }
            return (.failure(KRPCError(code: .deadlineExceeded, message: "deadline passed before an attempt on \(pick.address)")), nil)
        }
        do {
            let response = try await pick.connection.call(
                service: request.service, method: request.method, payload: request.payload, deadline: remaining,
                metadata: request.metadata
            )
            let end = ContinuousClock.now
            self.withState { $0.finish(pick, .success(latency: end - start), now: end) }
            self.configuration.attemptObserver?(
                KRPCAttemptReport(node: pick.address, outcome: .success, latency: end - start, endedAt: end))
            return (.success(response), nil)
        } catch {
            let kind = Self.failureKind(of: error)
            let outcome: ChannelState.AttemptOutcome = kind.map { .failure($0, message: error.message) } ?? .ignored
            let end = ContinuousClock.now
            self.withState { $0.finish(pick, outcome, now: end) }
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
