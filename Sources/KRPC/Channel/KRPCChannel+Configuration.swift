public import KRPCPolicy
public import Logging

extension KRPCChannel {
    /// How a channel balances, isolates, retries and hedges. Every field has the seed's default
    /// (or a production one where the seed had none).
    public struct Configuration: Sendable {
        /// Which balancer picks a node for each attempt (runtime-switchable with ``KRPCChannel/setBalancer(_:)``).
        public var balancer: BalancerKind
        /// The per-node circuit breaker: opens after 5 consecutive failures (seed) or a high failure rate;
        /// first half-open after 200 ms, doubling up to 30 s; health probes while open.
        public var breaker: BreakerConfiguration
        /// How many nodes may be ejected at once (default all but one); past it the channel panics
        /// and spreads calls over every node.
        public var ejection: EjectionPolicy
        /// Traffic ramp for nodes that join or recover.
        public var slowStart: SlowStartConfiguration
        /// Retry a failed call on another node, within the call's deadline and the retry budget; `nil` = never.
        public var failover: FailoverPolicy?
        /// Send a backup attempt to a second node when the first has not answered after a delay; `nil` = never.
        public var hedging: HedgingPolicy?
        /// Caps retries and hedges at a share of the calls (default 20 % plus a small floor).
        public var retryBudget: RetryBudgetConfiguration
        /// Methods whose calls are not idempotent: never retried or hedged (`Service.Method`).
        public var nonIdempotentMethods: Set<String>
        /// Deadline of a call when the caller gives none (seed: 5 s).
        public var defaultDeadline: Duration
        /// The connection settings of every node connection.
        public var connection: NodeConnection.Configuration
        /// How often breakers are ticked and due probes sent.
        public var tickInterval: Duration
        /// How many past events ``KRPCChannel/snapshot()`` keeps.
        public var eventHistory: Int
        /// Where the channel logs (transitions at info, the rest at debug).
        public var logger: Logger
        /// Told of every attempt that ended in a way that counts for or against its node (not caller errors or
        /// cancellations), after the channel counted it; called on the attempt's task, so it must be quick and
        /// must not block. `nil` (default): nobody is told.
        public var attemptObserver: (@Sendable (KRPCAttemptReport) -> Void)? = nil
        /// Wrap every call made through the channel (default: none), once per call around its attempts,
        /// retries and hedges, the first outermost: see ``KRPCClientInterceptor``.
        public var interceptors: [any KRPCClientInterceptor]

        public init(
            balancer: BalancerKind = .roundRobin,
            breaker: BreakerConfiguration = BreakerConfiguration(),
            ejection: EjectionPolicy = EjectionPolicy(),
            slowStart: SlowStartConfiguration = SlowStartConfiguration(),
            failover: FailoverPolicy? = FailoverPolicy(),
            hedging: HedgingPolicy? = nil,
            retryBudget: RetryBudgetConfiguration = RetryBudgetConfiguration(),
            nonIdempotentMethods: Set<String> = [],
            defaultDeadline: Duration = .seconds(5),
            connection: NodeConnection.Configuration = NodeConnection.Configuration(),
            tickInterval: Duration = .milliseconds(50),
            eventHistory: Int = 200,
            logger: Logger = Logger(label: "krpc.channel", factory: { _ in SwiftLogNoOpLogHandler() }),
            interceptors: [any KRPCClientInterceptor] = []
        ) {
            self.balancer = balancer
            self.breaker = breaker
            self.ejection = ejection
            self.slowStart = slowStart
            self.failover = failover
            self.hedging = hedging
            self.retryBudget = retryBudget
            self.nonIdempotentMethods = nonIdempotentMethods
            self.defaultDeadline = defaultDeadline
            self.connection = connection
            self.tickInterval = tickInterval
            self.eventHistory = eventHistory
            self.logger = logger
            self.interceptors = interceptors
        }

        /// Checks every field; throws an error naming the first bad one.
        public func validate() throws {
            try self.breaker.validate()
            try self.ejection.validate()
            try self.failover?.validate()
            try self.hedging?.validate()
            guard self.defaultDeadline > .zero else {
                throw KRPCError(code: .invalidRequest, message: "KRPCChannel.Configuration.defaultDeadline must be > 0")
            }
            guard self.tickInterval > .zero else {
                throw KRPCError(code: .invalidRequest, message: "KRPCChannel.Configuration.tickInterval must be > 0")
            }
        }
    }
}

extension KRPCChannel.Configuration {
    /// What krpc-top and the demo scenarios use: failover and hedging on (100 ms), the seed's breaker.
    public static var interactive: Self {
        var configuration = Self()
        configuration.failover = FailoverPolicy()
        configuration.hedging = HedgingPolicy(delay: .milliseconds(100))
        return configuration
    }
}
