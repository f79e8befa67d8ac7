/// A column of the node table.
enum ColumnID: Hashable, CaseIterable {
    case address, state, fleet, age, redisCalls, redisRate, calls, errorPercent, p50, p99, latency, inFlight

    var title: String {
        switch self {
        case .address: "ADDRESS"
        case .state: "STATE"
        case .fleet: "FLEET"
        case .age: "AGE"
        case .redisCalls: "REDIS"
        case .redisRate: "R/S"
        case .calls: "CALLS"
        case .errorPercent: "ERR%"
        case .p50: "P50"
        case .p99: "P99"
        case .latency: "LATENCY"
        case .inFlight: "INFL"
        }
    }

    /// Width when first chosen (the latency sparkline and the address may grow afterwards).
    var baseWidth: Int {
        switch self {
        case .address: 7
        case .state: 11
        case .age, .errorPercent, .inFlight: 4
        case .fleet: 5
        case .redisCalls, .redisRate, .calls, .p50, .p99: 5
        case .latency: 8
        }
    }

    var rightAligned: Bool {
        switch self {
        case .address, .state, .fleet, .latency: false
        default: true
        }
    }

    /// Optional columns, most important first: they are added in this order while they fit.
    static let byPriority: [ColumnID] = [.errorPercent, .fleet, .p99, .latency, .calls, .redisCalls, .age, .p50,
                                         .redisRate, .inFlight]

    /// The column the sort key sorts by.
    static func sorted(by key: SortKey) -> ColumnID {
        switch key {
        case .address: .address
        case .state: .state
        case .errors: .errorPercent
        case .latency: .p99
        case .redisCalls: .redisCalls
        }
    }
}

/// The columns chosen for a screen width, in display order, with their widths.
struct TableColumns: Hashable {
    struct Column: Hashable {
        var id: ColumnID
        var width: Int
        /// First cell of the column.
        var start: Int
    }

    /// Display order; the selection marker takes cell 0, the address starts at cell 1.
    var columns: [Column]
    /// The state column shows the glyph only (narrow screens).
    var compactState: Bool

    /// The widest sparkline: one cell per second of the last minute.
    static let maxLatencyWidth = 60

    /// Chooses columns for `width` cells when the longest address takes `addressWidth` cells.
    /// - Parameter fleetWidth: The widest FLEET cell, or `nil` for no FLEET column (no node has fleet figures).
    init(width: Int, addressWidth: Int, fleetWidth: Int? = nil) {
        let addressNeed = max(ColumnID.address.baseWidth, min(addressWidth, 48))
        var widths: [ColumnID: Int] = [:]
        var used: Int
        if width - 13 >= addressNeed || width - 13 >= 16 {
            self.compactState = false
            let address = min(addressNeed, width - 13)
            widths[.address] = address
            widths[.state] = ColumnID.state.baseWidth
            used = 1 + address + 1 + ColumnID.state.baseWidth
            for id in ColumnID.byPriority {
                var need = id.baseWidth
                if id == .fleet {
                    guard let fleetWidth else { continue }
                    need = max(need, fleetWidth)
                }
                guard used + 1 + need <= width else { break }
                widths[id] = need
                used += 1 + need
            }
        } else {
            // Too narrow for the state word: the glyph alone still tells states apart by shape.
            self.compactState = true
            let address = max(0, min(addressNeed, width - 3))
            widths[.address] = address
            widths[.state] = 1
            used = 1 + address + 2
        }
        var extra = max(0, width - used)
        if let address = widths[.address], address < addressNeed {
            let add = min(extra, addressNeed - address)
            widths[.address] = address + add
            extra -= add
        }
        if let latency = widths[.latency] {
            widths[.latency] = latency + min(extra, Self.maxLatencyWidth - latency)
        }
        var columns: [Column] = []
        var start = 1
        for id in ColumnID.allCases {
            guard let w = widths[id] else { continue }
            if id != .address { start += 1 }  // one blank between columns
            columns.append(Column(id: id, width: w, start: start))
            start += w
        }
        self.columns = columns
    }

    func column(_ id: ColumnID) -> Column? {
        self.columns.first { $0.id == id }
    }
}
