/// A column of the services view.
enum ServiceColumnID: Hashable, CaseIterable {
    case name, registered, healthy, fleet, rate, errorPercent, redisCalls, redisErrors

    var title: String {
        switch self {
        case .name: "METHOD"
        case .registered: "NODES"
        case .healthy: "HEALTHY"
        case .fleet: "FLEET"
        case .rate: "CALLS/S"
        case .errorPercent: "ERR%"
        case .redisCalls: "REDIS"
        case .redisErrors: "ERRORS"
        }
    }

    var width: Int {
        switch self {
        case .name: 12
        case .registered: 5
        case .healthy, .fleet: 7
        case .rate, .redisCalls: 7
        case .errorPercent: 5
        case .redisErrors: 6
        }
    }

    /// Optional columns, most important first. FLEET (every client's views of the method's nodes, summed) only
    /// when the fleet is read.
    static let byPriority: [ServiceColumnID] = [.registered, .healthy, .fleet, .rate, .errorPercent, .redisCalls, .redisErrors]
}
