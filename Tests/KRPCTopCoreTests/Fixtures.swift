import KRPCPolicy
import KRPCTopCore

/// Shared test data: a three-node cluster in each state, and helpers.
enum Fixtures {
    static func address(_ text: String) -> NodeAddress {
        guard let a = NodeAddress(parsing: text) else { fatalError("bad fixture address \(text)") }  // test data only
        return a
    }

    static let a8000 = address("127.0.0.1:8000")
    static let a9000 = address("127.0.0.1:9000")
    static let a10000 = address("127.0.0.1:10000")

    /// 2026-11-24T12:03:04Z
    static let t0: Double = 1_795_521_784

    /// Window figures over the default 10 s with the given counts and percentiles.
    static func window(calls: Int, errors: Int, timeouts: Int = 0, p50: Int?, p99: Int?) -> WindowFigures {
        WindowFigures(length: .seconds(10), calls: calls, errors: errors, timeouts: timeouts, p50Microseconds: p50,
                      p99Microseconds: p99)
    }

    static var healthy: NodeSnapshot {
        NodeSnapshot(
            address: a8000, state: .healthy, timeInState: .seconds(754), redisCalls: 12_345, redisCallRate: 16.7,
            calls: 1234, errors: 0, p50Microseconds: 412, p99Microseconds: 1250,
            latencyHistory: (0..<60).map { Optional(400 + ($0 % 8) * 100) }, inFlight: 2,
            window: window(calls: 1234, errors: 0, p50: 412, p99: 1250))
    }

    static var broken: NodeSnapshot {
        NodeSnapshot(
            address: a9000, state: .broken, timeInState: .milliseconds(4200),
            reason: "5 consecutive failures: internal 'injected error'", nextProbeIn: .milliseconds(1200),
            redisCalls: 9876, redisCallRate: 0, calls: 1100, errors: 5, p50Microseconds: 380, p99Microseconds: 2400,
            latencyHistory: Array(repeating: nil, count: 30) + (0..<30).map { Optional(300 + $0 * 100) },
            fault: "error", inFlight: 0, window: window(calls: 1100, errors: 5, p50: 380, p99: 2400))
    }

    static var halfOpen: NodeSnapshot {
        NodeSnapshot(
            address: a10000, state: .halfOpen, timeInState: .milliseconds(300), reason: "cool-down elapsed",
            nextProbeIn: .milliseconds(100), redisCalls: 11_002, redisCallRate: 15.2, calls: 1190, errors: 1,
            p50Microseconds: 450, p99Microseconds: 3100, latencyHistory: [], inFlight: 1,
            window: window(calls: 1190, errors: 1, p50: 450, p99: 3100))
    }

    static func snapshot(
        nodes: [NodeSnapshot]? = nil, departed: [NodeSnapshot] = [], events: [DashboardEvent]? = nil
    ) -> DashboardSnapshot {
        DashboardSnapshot(
            service: "UserServiceRpc", method: "Login", balancer: "round-robin", targetRate: 50, achievedRate: 49.8,
            clusterQPS: 149.2, calls: 3500, failures: 2, errorPercent: 0.3, p50Microseconds: 410,
            p99Microseconds: 2900, zookeeper: .connected, zookeeperSessionTimeout: .seconds(4), redis: .connected,
            nodes: nodes ?? [healthy, broken, halfOpen],
            departed: departed,
            events: events ?? [
                DashboardEvent(time: t0 + 2, node: a9000, kind: .transition(from: .healthy, to: .broken),
                               reason: "5 consecutive failures: internal 'injected error'"),
                DashboardEvent(time: t0 + 1, node: a9000, kind: .faultSet("error")),
                DashboardEvent(time: t0, kind: .zookeeper(.connected)),
            ])
    }

    /// A view of `snapshot` at a size, after the snapshot and resize events.
    static func view(
        _ snapshot: DashboardSnapshot? = Fixtures.snapshot(), width: Int, height: Int,
        configure: (inout ViewState) -> Void = { _ in }
    ) -> ViewState {
        var view = ViewState(size: ScreenSize(width: width, height: height))
        configure(&view)
        if let snapshot { view.feed(.snapshot(snapshot)) }
        return view
    }

    static func nodes(_ count: Int) -> [NodeSnapshot] {
        (0..<count).map { i in
            NodeSnapshot(address: address("10.0.\(i / 250).\(i % 250 + 1):8000"), state: .healthy,
                         timeInState: .seconds(60), redisCalls: i * 10, calls: i, errors: i % 7 == 0 ? 1 : 0,
                         p50Microseconds: 300 + i, p99Microseconds: 900 + i * 3,
                         window: window(calls: i, errors: i % 7 == 0 ? 1 : 0, p50: 300 + i, p99: 900 + i * 3))
        }
    }
}
