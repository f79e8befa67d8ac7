/// One `<Service>.<Method>` of the registry, as the services view lists it: how many nodes ZooKeeper holds for
/// it, how many this client has seen healthy, and the cluster-wide counts Redis keeps for it.
public struct ServiceSummary: Sendable, Hashable {
    /// The service name, e.g. `UserServiceRpc`.
    public var service: String
    /// The method name, e.g. `Login`.
    public var method: String
    /// Nodes registered under the method (its leaves in ZooKeeper).
    public var registered: Int
    /// Nodes of the method this client saw HEALTHY at its last look; `nil` for a method it has not called.
    public var seenHealthy: Int?
    /// Calls counted in Redis for the method, every node and client (`krpc:calls:<S>.<M>`); `nil` when unknown.
    public var redisCalls: Int?
    /// Errors counted in Redis for the method (`krpc:errors:<S>.<M>`); `nil` when unknown.
    public var redisErrors: Int?
    /// Cluster-wide calls per second over the window, from the deltas of ``redisCalls``; `nil` until two reads.
    public var callRate: Double?
    /// Errors in percent of the calls over the window (deltas of both hashes); `nil` without calls in the window.
    public var errorPercent: Double?
    /// Every live client's view of the method's nodes, summed; `nil` when the fleet is not read (no Redis).
    public var fleet: FleetTally?

    /// Creates a row; everything but the names and the node count defaults to unknown.
    public init(
        service: String, method: String, registered: Int, seenHealthy: Int? = nil, redisCalls: Int? = nil,
        redisErrors: Int? = nil, callRate: Double? = nil, errorPercent: Double? = nil, fleet: FleetTally? = nil
    ) {
        self.service = service
        self.method = method
        self.registered = registered
        self.seenHealthy = seenHealthy
        self.redisCalls = redisCalls
        self.redisErrors = redisErrors
        self.callRate = callRate
        self.errorPercent = errorPercent
        self.fleet = fleet
    }

    /// `Service.Method`.
    public var name: String { "\(self.service).\(self.method)" }
}
