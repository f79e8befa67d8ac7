import KRPC
import KRPCMetrics
import KRPCPolicy
import KRPCTestSupport
import Prometheus
import Testing

/// ``KRPCChannelMetrics`` on a real channel: a real server (in process, a real socket) and a node that refuses
/// connections, behind an in-memory registry.
@Suite("KRPCChannelMetrics and KRPCClientMetricsInterceptor: calls, attempts, breakers, failovers from a real channel")
struct ChannelMetricsTests {
    @Test("calls by code, attempts per node and outcome, failovers, breaker states one-hot; a node that leaves")
    func realChannel() async throws {
        let server = KRPCServer(configuration: .init(host: "127.0.0.1", port: 0), services: [EchoService()])
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let live = try await server.listeningAddress()
        let dead = NodeAddress(host: "127.0.0.1", port: TCPProbe.freePort())  // nobody listens there
        let key = ServiceKey(service: Echo.name, method: Echo.echo)
        let registry = InMemoryServiceRegistry(
            [ServiceInstance(address: live), ServiceInstance(address: dead)], under: key)

        let prometheus = PrometheusCollectorRegistry()
        let metrics = KRPCChannelMetrics(key: key, factory: KRPCPrometheusFactory(registry: prometheus))
        var configuration = KRPCChannel.Configuration()
        configuration.attemptObserver = { metrics.record($0) }
        let factory = KRPCPrometheusFactory(registry: prometheus)
        configuration.interceptors = [
            KRPCClientMetricsInterceptor(KRPCCallMetrics(.client, methods: [key], factory: factory))
        ]
        configuration.failover = FailoverPolicy()
        // Round robin over two nodes: each call that picks the dead node fails over to the live one.
        let channel = KRPCChannel(key: key, registry: registry, configuration: configuration, seed: 1)
        let running = Task { await channel.run() }
        defer { running.cancel() }

        let calls = 20
        for _ in 0..<calls {
            _ = try await channel.call(service: key.service, method: key.method, payload: [], deadline: .seconds(5))
        }
        // A method the node does not serve: a caller error, counted by its code under its own labels.
        await #expect(throws: KRPCError.self) {
            try await channel.call(service: key.service, method: "Nope", payload: [], deadline: .seconds(5))
        }
        let snapshot = channel.snapshot()
        metrics.observe(snapshot)
        let text = PrometheusText(prometheus.emitToString())
        let labels = ["service": key.service, "method": key.method]
        func with(_ extra: [String: String]) -> [String: String] { labels.merging(extra) { $1 } }

        #expect(text.value("krpc_client_calls_total", with(["code": "ok"])) == Double(calls))
        #expect(text.value("krpc_client_call_duration_seconds_count", labels) == Double(calls))
        #expect(text.value("krpc_client_calls_in_flight", labels) == 0)
        #expect(
            text.value("krpc_client_calls_total", ["service": key.service, "method": "Nope", "code": "unknown_method"])
                == 1)
        let liveNode = live.description
        let deadNode = dead.description
        #expect(
            text.value("krpc_client_attempts_total", with(["node": liveNode, "outcome": "success"])) == Double(calls))
        let deadFailures = try #require(
            text.value("krpc_client_attempts_total", with(["node": deadNode, "outcome": "failure"])))
        #expect(deadFailures >= 1)
        // Every failed attempt on the dead node was retried on the live one.
        #expect(text.value("krpc_client_failovers_total", labels) == deadFailures)
        #expect(text.value("krpc_client_failovers_total", labels) == Double(snapshot.retries))
        #expect(text.value("krpc_client_attempt_duration_seconds_count", with(["node": liveNode])) == Double(calls))
        #expect(text.value("krpc_client_nodes", labels) == 2)
        #expect(text.value("krpc_client_panic", labels) == 0)
        #expect(text.value("krpc_client_breaker_state", with(["node": liveNode, "state": "closed"])) == 1)
        #expect(text.value("krpc_client_breaker_state", with(["node": liveNode, "state": "open"])) == 0)
        // The snapshot's state of the dead node, one-hot.
        let deadState = try #require(snapshot.nodes.first { $0.address == dead }?.breaker.state)
        for state in BreakerState.allCases {
            let label = state == .halfOpen ? "half_open" : state.rawValue
            #expect(
                text.value("krpc_client_breaker_state", with(["node": deadNode, "state": label]))
                    == (state == deadState ? 1 : 0))
        }

        // Observing the same snapshot again adds nothing.
        metrics.observe(snapshot)
        let again = PrometheusText(prometheus.emitToString())
        #expect(again.value("krpc_client_failovers_total", labels) == Double(snapshot.retries))

        // A node that leaves loses its breaker series.
        try await registry.deregister(dead)
        try await waitUntil("the channel to drop the dead node") { channel.snapshot().nodes.count == 1 }
        metrics.observe(channel.snapshot())
        let after = PrometheusText(prometheus.emitToString())
        #expect(after.matching("krpc_client_breaker_state", with(["node": deadNode])).isEmpty)
        #expect(after.value("krpc_client_nodes", labels) == 1)
    }
}
