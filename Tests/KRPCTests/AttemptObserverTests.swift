import KRPC
import KRPCPolicy
import Synchronization
import Testing

/// The reports the observer was given, in order.
private final class Reports: Sendable {
    private let list = Mutex<[KRPCAttemptReport]>([])
    func append(_ report: KRPCAttemptReport) { self.list.withLock { $0.append(report) } }
    var all: [KRPCAttemptReport] { self.list.withLock { $0 } }
}

@Suite("Channel attempt observer")
struct AttemptObserverTests {
    @Test("every counted attempt is reported once, with its node and outcome, matching the channel's counters")
    func reportsMatchCounters() async throws {
        try await TestCluster.with(nodes: 3) { cluster in
            let erring = cluster.addresses[0]
            let hanging = cluster.addresses[1]
            cluster.setFault(.error, on: erring)
            cluster.setFault(.timeout, on: hanging)
            let reports = Reports()
            try await withChannel(cluster, configure: { c in
                c.attemptObserver = { reports.append($0) }
            }) { channel in
                for _ in 0..<30 { _ = try? await login(channel, deadline: .milliseconds(300)) }
                let snapshot = channel.snapshot()
                let seen = reports.all
                for node in snapshot.nodes {
                    let own = seen.filter { $0.node == node.address }
                    #expect(own.filter { $0.outcome == .success }.count == node.successes, "\(node.address)")
                    #expect(own.filter { $0.outcome != .success }.count == node.failures, "\(node.address)")
                    #expect(own.filter { $0.outcome == .timeout }.count == node.timeouts, "\(node.address)")
                }
                #expect(seen.contains { $0.node == erring && $0.outcome == .failure })
                #expect(seen.contains {
                    $0.node == hanging && $0.outcome == .timeout && $0.latency >= .milliseconds(250)
                })
                #expect(!seen.contains { $0.node == erring && $0.outcome == .success })
            }
        }
    }
}
