import Foundation
import KRPCPolicy
import NIOCore

/// Everything a ``KRPCChannel`` knows, kept behind its lock. Methods compute under the lock and
/// return what the caller must do or announce outside it (STYLE §6).
struct ChannelState: Sendable {
    /// One node's state. A class, so that reading a node on the call path (every eligible node is looked
    /// at to pick one) costs one retain, not a copy of every field, and changes happen in place.
    ///
    /// `@unchecked Sendable`: a `Node` lives only in ``nodes`` of a `ChannelState`, which is only reached
    /// through the channel's `Mutex`; no reference to a `Node` leaves the lock (snapshots copy values out,
    /// picks carry the connection, not the node).
    final class Node: @unchecked Sendable {
        var instance: ServiceInstance
        let connection: NodeConnection
        var breaker: CircuitBreaker
        var slowStart: SlowStart
        var inFlight = 0
        var successes = 0
        var failures = 0
        var timeouts = 0
        var lastError: String?
        var window: LatencyWindow

        init(
            instance: ServiceInstance,
            connection: NodeConnection,
            breaker: CircuitBreaker,
            slowStart: SlowStart,
            window: LatencyWindow
        ) {
            self.instance = instance
            self.connection = connection
            self.breaker = breaker
            self.slowStart = slowStart
            self.window = window
        }
    }

    /// A call parked until the first membership arrives; `timer` wakes it at its deadline.
    struct MembershipWaiter: Sendable {
        var continuation: CheckedContinuation<Void, Never>
        var timer: Scheduled<Void>?
    }

    /// A node chosen for one attempt.
    struct Pick: Sendable {
        var address: NodeAddress
        var permit: CallPermit
        var connection: NodeConnection
    }

    let key: ServiceKey
    let configuration: KRPCChannel.Configuration
    let origin: ContinuousClock.Instant
    var nodes: [NodeAddress: Node] = [:]
    /// Node addresses, sorted: a stable order for selection and snapshots.
    var order: [NodeAddress] = []
    var balancer: LoadBalancer
    var budget: RetryBudget
    var rng: SplitMix64
    var panic = false
    var registryState: RegistryState = .connecting
    var calls = 0
    var failures = 0
    var retries = 0
    var hedges = 0
    var window: LatencyWindow
    var events: [KRPCChannelEvent] = []
    /// Where ``emit(_:node:now:)`` queues events; the channel delivers them after releasing its lock.
    let broadcaster: EventBroadcaster<KRPCChannelEvent>
    var hasSeenMembership = false
    /// ``KRPCChannel/run()`` has ended: no membership will come any more.
    var stopped = false
    /// Calls parked until the first membership (see `KRPCChannel.waitForFirstMembership(until:)`).
    var membershipWaiters: [UInt64: MembershipWaiter] = [:]
    /// Waiters whose call was cancelled before they parked (so they do not park).
    var abandonedWaiters: Set<UInt64> = []
    var nextWaiter: UInt64 = 0

    init(
        key: ServiceKey,
        configuration: KRPCChannel.Configuration,
        broadcaster: EventBroadcaster<KRPCChannelEvent>,
        now: ContinuousClock.Instant,
        seed: UInt64
    ) {
        self.key = key
        self.broadcaster = broadcaster
        self.configuration = configuration
        self.origin = now
        self.balancer = LoadBalancer(kind: configuration.balancer)
        self.budget = RetryBudget(configuration: configuration.retryBudget)
        self.rng = SplitMix64(seed: seed)
        self.window = LatencyWindow(now: now, origin: now)
    }

    // MARK: Events

    mutating func emit(_ kind: KRPCChannelEvent.Kind, node: NodeAddress?, now: ContinuousClock.Instant) {
        let event = KRPCChannelEvent(
            time: now,
            wallTime: Date().timeIntervalSince1970,
            node: node,
            kind: kind
        )
        self.events.append(event)
        if self.events.count > self.configuration.eventHistory {
            self.events.removeFirst(self.events.count - self.configuration.eventHistory)
        }
        self.broadcaster.enqueue(event)  // delivered by the channel once its lock is released
    }

    /// Announces the transition `action` of `address`'s breaker (whose state before was `from`).
    /// What moved a breaker: its reason for going half-open differs.
    enum Cause {
        case call, tick, probe
    }

    mutating func announce(
        _ action: BreakerAction,
        node address: NodeAddress,
        from: BreakerState,
        cause: Cause,
        now: ContinuousClock.Instant
    ) {
        guard let to = self.nodes[address]?.breaker.state, to != from else { return }
        let reason: String
        switch action {
        case .opened(_, let why): reason = why
        case .halfOpened:
            switch cause {
            case .probe: reason = "health probe answered"
            case .tick: reason = "cool-down over"
            case .call: reason = "half-open"
            }
        case .closed:
            reason = "recovered"
            self.nodes[address]?.slowStart.begin(now: now)
        case .none: reason = ""
        }
        self.emit(.breaker(from: from, to: to, reason: reason), node: address, now: now)
    }

    // MARK: Selection

    private func candidate(_ address: NodeAddress, now: ContinuousClock.Instant) -> BalancerCandidate? {
        guard let node = self.nodes[address] else { return nil }
        return BalancerCandidate(
            address: address,
            weight: node.instance.weight,
            inFlight: node.inFlight,
            slowStartFactor: node.slowStart.factor(now: now)
        )
    }

    /// The eligible nodes now (updating panic mode), as balancer candidates.
    mutating func eligibleCandidates(now: ContinuousClock.Instant) -> [BalancerCandidate] {
        // Only OPEN nodes count as ejected: a half-open node whose trial slot is taken for a moment is
        // recovering, not broken (counting it would flicker panic mode on with the last node half-open).
        let selection = self.configuration.ejection.select(
            self.order.map { (address: $0, admits: (self.nodes[$0]?.breaker.state ?? .open) != .open) }
        )
        if selection.panic != self.panic {
            self.panic = selection.panic
            self.emit(selection.panic ? .panicStarted : .panicEnded, node: nil, now: now)
        }
        return selection.eligible.compactMap { self.candidate($0, now: now) }
    }

    /// Picks a node among `candidates` with the balancer and admits one attempt on it.
    mutating func admit(from candidates: [BalancerCandidate], hashKey: String?, now: ContinuousClock.Instant) -> Pick? {
        var remaining = candidates
        while !remaining.isEmpty {
            guard let address = self.balancer.pick(from: remaining, key: hashKey, using: &self.rng),
                let node = self.nodes[address]
            else { return nil }
            // In panic every node is eligible, broken ones included: they get a bypass permit.
            guard let permit = node.breaker.acquire() ?? (self.panic ? .bypass : nil) else {
                remaining.removeAll { $0.address == address }  // half-open with its trial slots taken
                continue
            }
            node.inFlight += 1
            return Pick(address: address, permit: permit, connection: node.connection)
        }
        return nil
    }

    /// The first attempt of a call: any eligible node.
    mutating func pickFirst(hashKey: String?, now: ContinuousClock.Instant) -> Pick? {
        self.budget.recordRequest(now: now)
        return self.admit(from: self.eligibleCandidates(now: now), hashKey: hashKey, now: now)
    }

    /// A retry after `failure`, on a node not yet tried, if the failover policy and the budget allow.
    mutating func pickRetry(
        after failure: FailureKind,
        attemptsMade: Int,
        tried: Set<NodeAddress>,
        deadline: ContinuousClock.Instant,
        hashKey: String?,
        now: ContinuousClock.Instant
    ) -> Pick? {
        guard let failover = self.configuration.failover else { return nil }
        let decision = failover.decide(
            after: failure,
            attemptsMade: attemptsMade,
            now: now,
            deadline: deadline,
            candidates: self.eligibleCandidates(now: now),
            tried: tried,
            budget: &self.budget
        )
        guard case .retry(let untried) = decision, let pick = self.admit(from: untried, hashKey: hashKey, now: now)
        else { return nil }
        self.retries += 1
        return pick
    }

    /// A hedge, if the hedging policy says one is due now.
    mutating func pickHedge(
        startedAt: ContinuousClock.Instant,
        hedgesStarted: Int,
        tried: Set<NodeAddress>,
        deadline: ContinuousClock.Instant,
        hashKey: String?,
        now: ContinuousClock.Instant
    ) -> HedgeStep {
        guard let hedging = self.configuration.hedging else { return .stop }
        let decision = hedging.decide(
            now: now,
            startedAt: startedAt,
            extraAttemptsStarted: hedgesStarted,
            deadline: deadline,
            candidates: self.eligibleCandidates(now: now),
            tried: tried,
            budget: &self.budget
        )
        switch decision {
        case .hedge(let untried):
            guard let pick = self.admit(from: untried, hashKey: hashKey, now: now) else { return .stop }
            self.hedges += 1
            return .hedge(pick)
        case .wait(let until): return .wait(until)
        case .stop: return .stop
        }
    }

    enum HedgeStep: Sendable {
        case hedge(Pick)
        case wait(ContinuousClock.Instant)
        case stop
    }

    // MARK: Outcomes

    enum AttemptOutcome: Sendable {
        case success(latency: Duration)
        /// A failure that counts against the node.
        case failure(FailureKind, message: String)
        /// Ended without judging the node: a caller error, a cancellation.
        case ignored
    }

    /// Ends the attempt `pick` with `outcome`: node statistics and breaker.
    mutating func finish(_ pick: Pick, _ outcome: AttemptOutcome, now: ContinuousClock.Instant) {
        guard let node = self.nodes[pick.address] else { return }  // the node left meanwhile
        node.inFlight -= 1
        let from = node.breaker.state
        let action: BreakerAction
        switch outcome {
        case .success(let latency):
            node.successes += 1
            node.window.record(latency: latency, now: now)
            action = node.breaker.record(.success, for: pick.permit, now: now, using: &self.rng)
        case .failure(let kind, let message):
            node.failures += 1
            if kind == .deadlineExceeded { node.timeouts += 1 }
            node.lastError = message.isEmpty ? kind.description : "\(kind): \(message)"
            node.window.record(latency: nil, now: now)
            action = node.breaker.record(.failure(kind: kind, message: message), for: pick.permit, now: now, using: &self.rng)
        case .ignored:
            node.breaker.release(pick.permit)
            action = .none
        }
        self.announce(action, node: pick.address, from: from, cause: .call, now: now)
    }

    /// Counts one logical call.
    mutating func finishCall(latency: Duration?, now: ContinuousClock.Instant) {
        if latency != nil { self.calls += 1 } else { self.failures += 1 }
        self.window.record(latency: latency, now: now)
    }

    // MARK: Time and probes

    /// Ticks every breaker; returns the probes that are due now.
    mutating func tick(now: ContinuousClock.Instant) -> [(NodeAddress, ProbeTicket, NodeConnection)] {
        var probes: [(NodeAddress, ProbeTicket, NodeConnection)] = []
        for address in self.order {
            guard let node = self.nodes[address] else { continue }
            let from = node.breaker.state
            let action = node.breaker.tick(now: now, using: &self.rng)
            let ticket = node.breaker.beginProbe(now: now)
            self.announce(action, node: address, from: from, cause: .tick, now: now)
            if let ticket { probes.append((address, ticket, node.connection)) }
        }
        _ = self.eligibleCandidates(now: now)  // panic mode follows the breakers even without traffic
        return probes
    }

    mutating func finishProbe(_ address: NodeAddress, _ ticket: ProbeTicket, _ outcome: CallOutcome, now: ContinuousClock.Instant) {
        guard let node = self.nodes[address] else { return }
        let from = node.breaker.state
        let action = node.breaker.recordProbe(outcome, for: ticket, now: now, using: &self.rng)
        self.announce(action, node: address, from: from, cause: .probe, now: now)
    }

    // MARK: Membership

    /// Applies a membership snapshot; returns the connections of nodes that left (to close later).
    mutating func apply(
        members: [ServiceInstance],
        makeConnection: (NodeAddress) -> NodeConnection,
        now: ContinuousClock.Instant
    ) -> [NodeConnection] {
        var incoming: [NodeAddress: ServiceInstance] = [:]
        for member in members { incoming[member.address] = member }
        var removed: [NodeConnection] = []
        for address in self.order where incoming[address] == nil {
            if let node = self.nodes.removeValue(forKey: address) { removed.append(node.connection) }
            self.emit(.nodeLeft, node: address, now: now)
        }
        for (address, instance) in incoming.sorted(by: { $0.key < $1.key }) {
            if self.nodes[address] != nil {
                self.nodes[address]?.instance = instance
                continue
            }
            var slowStart = SlowStart(configuration: self.configuration.slowStart)
            // Nodes present from the start take full traffic; later joiners ramp up.
            if self.hasSeenMembership { slowStart.begin(now: now) }
            self.nodes[address] = Node(
                instance: instance,
                connection: makeConnection(address),
                breaker: CircuitBreaker(configuration: self.configuration.breaker, now: now),
                slowStart: slowStart,
                window: LatencyWindow(now: now, origin: self.origin)
            )
            self.emit(.nodeJoined, node: address, now: now)
        }
        self.order = self.nodes.keys.sorted()
        self.hasSeenMembership = true
        return removed
    }

    /// Removes and returns every parked waiter (to resume outside the lock).
    mutating func takeMembershipWaiters() -> [MembershipWaiter] {
        defer { self.membershipWaiters = [:] }
        return Array(self.membershipWaiters.values)
    }
}
