/// A column of the services view.
enum ServiceColumnID: Hashable, CaseIterable {
    case name, registered, healthy, rate, errorPercent, redisCalls, redisErrors

    var title: String {
        switch self {
        case .name: "METHOD"
        case .registered: "NODES"
        case .healthy: "HEALTHY"
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
        case .healthy: 7
        case .rate, .redisCalls: 7
        case .errorPercent: 5
        case .redisErrors: 6
        }
    }

    /// Optional columns, most important first.
    static let byPriority: [ServiceColumnID] = [.registered, .healthy, .rate, .errorPercent, .redisCalls, .redisErrors]
}
