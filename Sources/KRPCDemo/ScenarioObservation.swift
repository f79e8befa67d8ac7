public import KRPCPolicy

/// What happened during a scenario: the facts its verdict and report are made of.
public struct ScenarioObservation: Sendable {
    /// One breaker transition, timed from the start of the scenario.
    public struct Transition: Sendable, Hashable {
        public var offset: Duration
        public var node: NodeAddress
        public var from: BreakerState
        public var to: BreakerState
        public var reason: String

        public init(offset: Duration, node: NodeAddress, from: BreakerState, to: BreakerState, reason: String) {
            self.offset = offset
            self.node = node
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    /// The nodes, in the scenario's order (the first is the one faults go to first).
    public var nodes: [NodeAddress]
    /// Calls each node handled during the scenario, from Redis (the change of `krpc:calls:…`).
    public var redisCalls: [NodeAddress: Int]
    /// Of those, the ones it failed (`krpc:errors:…`).
    public var redisErrors: [NodeAddress: Int]
    /// Logical calls the scenario made, and how many failed for it (after failover and hedging).
    public var calls: Int
    public var callerFailures: Int
    /// Calls made after every faulty node was BROKEN, and how many of them each node served.
    public var callsAfterIsolation: Int
    public var servedAfterIsolation: [NodeAddress: Int]
    /// Breaker transitions seen, in order.
    public var transitions: [Transition]
    /// Breaker states at the end of the fault phase (before faults were cleared).
    public var statesUnderFault: [NodeAddress: BreakerState]
    /// Breaker states at the very end.
    public var finalStates: [NodeAddress: BreakerState]
    /// How long the scenario's calls took.
    public var elapsed: Duration
    /// For `recover`: from clearing the fault to the node being closed again.
    public var recoveryTime: Duration?
    /// The probe interval the channel used.
    public var probeInterval: Duration

    public init(
        nodes: [NodeAddress],
        redisCalls: [NodeAddress: Int] = [:],
        redisErrors: [NodeAddress: Int] = [:],
        calls: Int = 0,
        callerFailures: Int = 0,
        callsAfterIsolation: Int = 0,
        servedAfterIsolation: [NodeAddress: Int] = [:],
        transitions: [Transition] = [],
        statesUnderFault: [NodeAddress: BreakerState] = [:],
        finalStates: [NodeAddress: BreakerState] = [:],
        elapsed: Duration = .zero,
        recoveryTime: Duration? = nil,
        probeInterval: Duration = .seconds(1)
    ) {
        self.nodes = nodes
        self.redisCalls = redisCalls
        self.redisErrors = redisErrors
        self.calls = calls
        self.callerFailures = callerFailures
        self.callsAfterIsolation = callsAfterIsolation
        self.servedAfterIsolation = servedAfterIsolation
        self.transitions = transitions
        self.statesUnderFault = statesUnderFault
        self.finalStates = finalStates
        self.elapsed = elapsed
        self.recoveryTime = recoveryTime
        self.probeInterval = probeInterval
    }
}
