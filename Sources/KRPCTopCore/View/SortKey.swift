/// The node table's sort orders, cycled by `s`.
public enum SortKey: String, Sendable, Hashable, CaseIterable {
    /// By address, ascending: hosts in natural order (`10.0.0.2` before `10.0.0.10`), then port numbers.
    case address
    /// Worst first: broken, half-open, healthy; then by address.
    case state
    /// Highest error percentage over the window first; then by address.
    case errors
    /// Slowest first (p99); nodes without data last; then by address.
    case latency
    /// Most calls counted in Redis first; then by address.
    case redisCalls = "redis calls"

    /// The next order in the cycle.
    public var next: SortKey {
        let all = SortKey.allCases
        let i = all.firstIndex(of: self) ?? 0
        return all[(i + 1) % all.count]
    }

    /// `nodes` in this order. Ties are broken by address, so the order is total and stable across snapshots.
    func sorted(_ nodes: [NodeSnapshot]) -> [NodeSnapshot] {
        nodes.map { (AddressSortKey($0.address), $0) }
            .sorted { self.areInIncreasingOrder($0.1, $1.1, $0.0, $1.0) }
            .map(\.1)
    }

    private func areInIncreasingOrder(
        _ a: NodeSnapshot, _ b: NodeSnapshot, _ keyA: AddressSortKey, _ keyB: AddressSortKey
    ) -> Bool {
        func primary() -> Int {  // <0: a first, >0: b first, 0: tie
            switch self {
            case .address: return 0
            case .state: return a.state.severityRank - b.state.severityRank
            case .errors:
                // Over the window, like the ERR% column.
                let x = a.window.errorPercent ?? -1
                let y = b.window.errorPercent ?? -1
                return x > y ? -1 : (x < y ? 1 : 0)
            case .latency:
                switch (a.window.p99Microseconds, b.window.p99Microseconds) {
                case (nil, nil): return 0
                case (nil, _): return 1
                case (_, nil): return -1
                case (let x?, let y?): return x > y ? -1 : (x < y ? 1 : 0)
                }
            case .redisCalls:
                let x = a.redisCalls ?? -1
                let y = b.redisCalls ?? -1
                return x > y ? -1 : (x < y ? 1 : 0)
            }
        }
        let p = primary()
        return p != 0 ? p < 0 : keyA < keyB
    }
}
