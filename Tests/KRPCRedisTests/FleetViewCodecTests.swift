import Foundation
import Testing

@testable import KRPC
@testable import KRPCPolicy
@testable import KRPCRedis

@Suite("FleetView codec and builder (pure)")
struct FleetViewCodecTests {
    static let key = ServiceKey(service: "UserServiceRpc", method: "Login")
    static let nodeA = NodeAddress(host: "10.213.0.11", port: 8001)
    static let nodeB = NodeAddress(host: "10.213.0.12", port: 8002)
    static let client = FleetClientID(host: "client-a", pid: 4242, name: "krpc-top")

    static func node(
        _ address: NodeAddress,
        state: BreakerState = .closed,
        since: ContinuousClock.Instant,
        reason: String? = nil,
        successes: Int,
        failures: Int,
        p99: Int = 900
    ) -> NodeSnapshot {
        NodeSnapshot(
            address: address,
            weight: 1,
            faultInjection: nil,
            breaker: BreakerStatus(
                state: state, since: since, reason: reason, openUntil: nil, cooldown: nil, consecutiveFailures: 0,
                tripCount: 0, trialsInFlight: 0, probe: .idle, timeUntilNextProbe: nil),
            nextProbeIn: nil,
            connection: "ready",
            inFlight: 0,
            successes: successes,
            failures: failures,
            timeouts: 0,
            lastError: nil,
            slowStartFactor: 1,
            latency: LatencySummary(count: 10, p50Micros: 100, p99Micros: p99),
            latencyPerSecond: [],
            attemptsPerSecond: []
        )
    }

    static func snapshot(at time: ContinuousClock.Instant, _ nodes: [NodeSnapshot]) -> ChannelSnapshot {
        ChannelSnapshot(
            key: key, takenAt: time, balancer: .roundRobin, panic: false, registryState: .connected, nodes: nodes,
            calls: 0, failures: 0, retries: 0, hedges: 0, latency: .empty, callsPerSecond: [], events: [])
    }

    @Test("a view survives encode and decode; the JSON uses the documented field names")
    func roundTrip() throws {
        let view = FleetView(
            client: Self.client, publishedAt: 1_764_756_000.25, interval: .seconds(1),
            nodes: [
                FleetNodeView(
                    key: Self.key, node: Self.nodeA, state: .open, reason: "5 consecutive failures: refused",
                    errorPercent: 100, p99Micros: 0, timeInState: .milliseconds(3200)),
                FleetNodeView(
                    key: Self.key, node: Self.nodeB, state: .halfOpen, reason: nil, errorPercent: 12.5,
                    p99Micros: 1234, timeInState: .zero),
            ])
        let bytes = FleetViewCodec.encode(view)
        let text = String(decoding: bytes, as: UTF8.self)
        for field in [
            "\"version\":1", "\"client\":{\"host\":\"client-a\",\"name\":\"krpc-top\",\"pid\":4242}",
            "\"published_at\":", "\"interval_ms\":1000", "\"service\":\"UserServiceRpc\"", "\"method\":\"Login\"",
            "\"node\":\"10.213.0.11:8001\"", "\"state\":\"open\"", "\"state\":\"half-open\"", "\"error_percent\":12.5",
            "\"p99_us\":1234", "\"in_state_ms\":3200",
        ] {
            #expect(text.contains(field), "\(field) missing from \(text)")
        }
        #expect(try FleetViewCodec.decode(bytes) == view)
        #expect(RedisKeys.view(Self.client) == "krpc:view:client-a:4242:krpc-top")
    }

    @Test("unknown fields are ignored, at the top and in nodes")
    func unknownFieldsIgnored() throws {
        let text = """
            {"version":7,"future":{"x":[1,2]},"client":{"host":"h","pid":1,"name":"n","rack":"r1"},
             "published_at":5,"interval_ms":1000,
             "nodes":[{"service":"S","method":"M","node":"127.0.0.1:9","state":"closed","error_percent":0,
                       "p99_us":5,"in_state_ms":7,"zone":"z"}]}
            """
        let view = try FleetViewCodec.decode(Array(text.utf8))
        #expect(view.client == FleetClientID(host: "h", pid: 1, name: "n"))
        #expect(view.nodes.count == 1)
        #expect(view.nodes.first?.reason == nil)
        #expect(view.nodes.first?.timeInState == .milliseconds(7))
    }

    @Test(
        "garbage is rejected with a reason",
        arguments: [
            ("", "not JSON"),
            ("hello", "not JSON"),
            ("{}", "missing field"),
            ("[1,2]", "wrong type"),
            (#"{"version":1,"client":{"host":"h","pid":"x","name":"n"},"published_at":1,"interval_ms":1,"nodes":[]}"#,
                "wrong type"),
            (#"{"version":1,"client":{"host":"h","pid":1,"name":"n"},"published_at":1,"interval_ms":1,"nodes":[{"service":"S","method":"M","node":"nope","state":"open","error_percent":0,"p99_us":0,"in_state_ms":0}]}"#,
                "not host:port"),
            (#"{"version":1,"client":{"host":"h","pid":1,"name":"n"},"published_at":1,"interval_ms":1,"nodes":[{"service":"S","method":"M","node":"a:1","state":"melted","error_percent":0,"p99_us":0,"in_state_ms":0}]}"#,
                "closed|open|half-open"),
            (#"{"version":1,"client":{"host":"h","pid":1,"name":"n"},"published_at":1,"interval_ms":1,"nodes":[{"service":"S","method":"M","node":"a:1","state":"open","error_percent":170,"p99_us":0,"in_state_ms":0}]}"#,
                "impossible number"),
            (#"{"version":1,"client":{"host":"h","pid":1,"name":"n"},"published_at":1,"interval_ms":-5,"nodes":[]}"#,
                "impossible"),
        ]
    )
    func garbageRejected(text: String, reason: String) {
        #expect {
            _ = try FleetViewCodec.decode(Array(text.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("the builder reports state, reason, p99, time in state, and the error % of the last window only")
    func builderWindow() {
        let t0 = ContinuousClock.now
        var builder = FleetViewBuilder(client: Self.client, interval: .seconds(1), errorWindow: .seconds(10))
        // Since start: 90 successes, 10 failures → 10 %.
        var view = builder.view(
            of: [Self.snapshot(at: t0, [Self.node(Self.nodeB, since: t0 - .seconds(4), successes: 90, failures: 10)])],
            wallTime: 100)
        #expect(view.nodes.map(\.errorPercent) == [10])
        #expect(view.nodes.first?.timeInState == .seconds(4))
        #expect(view.nodes.first?.p99Micros == 900)
        #expect(view.publishedAt == 100)
        // 5 s later: +10 successes, +10 failures since t0 → 20 failures of 120 over the window (from t0).
        view = builder.view(
            of: [Self.snapshot(at: t0 + .seconds(5), [Self.node(Self.nodeB, since: t0, successes: 100, failures: 20)])],
            wallTime: 105)
        #expect(view.nodes.map(\.errorPercent) == [50])
        // 12 s after t0 the t0 sample leaves the window; the t0+5 s one is the baseline: +0 successes, +30 failures.
        let opened = t0 + .seconds(11)
        view = builder.view(
            of: [
                Self.snapshot(
                    at: t0 + .seconds(16),
                    [
                        Self.node(
                            Self.nodeB, state: .open, since: opened, reason: "5 consecutive failures", successes: 100,
                            failures: 50),
                        Self.node(Self.nodeA, since: t0, successes: 0, failures: 0),
                    ])
            ],
            wallTime: 116)
        #expect(view.nodes.map(\.node) == [Self.nodeA, Self.nodeB])
        #expect(view.nodes.map(\.errorPercent) == [0, 100])
        #expect(view.nodes.last?.state == .open)
        #expect(view.nodes.last?.reason == "5 consecutive failures")
        #expect(view.nodes.last?.timeInState == .seconds(5))
    }

    @Test("a counter that goes back (a new channel) restarts the window")
    func builderRestarts() {
        let t0 = ContinuousClock.now
        var builder = FleetViewBuilder(client: Self.client, interval: .seconds(1))
        _ = builder.view(
            of: [Self.snapshot(at: t0, [Self.node(Self.nodeA, since: t0, successes: 100, failures: 100)])],
            wallTime: 0)
        let view = builder.view(
            of: [Self.snapshot(at: t0 + .seconds(1), [Self.node(Self.nodeA, since: t0, successes: 3, failures: 1)])],
            wallTime: 1)
        #expect(view.nodes.map(\.errorPercent) == [25])
    }
}

@Suite("JSONText: the hand-written JSON of the fleet view")
struct JSONTextTests {
    @Test("strings with quotes, backslashes, control characters and non-ASCII read back the same")
    func strings() throws {
        let texts = [
            "plain", "say \"hi\"", #"C:\path"#, "line\nbreak\ttab\r", "bell \u{07} nul \u{00} esc \u{1B}", "ünïcødé ✖ 日本",
        ]
        for text in texts {
            var out: [UInt8] = []
            JSONText.string(text, into: &out)
            let decoded = try JSONDecoder().decode(String.self, from: Data(out))
            #expect(decoded == text, "\(String(decoding: out, as: UTF8.self))")
        }
    }

    @Test("numbers read back the same; integral ones without a fraction; non-finite ones as 0")
    func numbers() throws {
        for value in [0, 12.5, 100, -3, 1_764_756_000.25, 1e-5, 123_456.789, 1e300] {
            var out: [UInt8] = []
            JSONText.number(value, into: &out)
            let text = String(decoding: out, as: UTF8.self)
            #expect(try JSONDecoder().decode(Double.self, from: Data(out)) == value, "\(text)")
        }
        var out: [UInt8] = []
        JSONText.number(100, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "100")
        for value in [Double.infinity, -.infinity, .nan] {
            var out: [UInt8] = []
            JSONText.number(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == "0")
        }
    }

    @Test("the view's JSON: every field, keys in sorted order (as JSONEncoder's .sortedKeys wrote them)")
    func sameAsJSONEncoder() throws {
        let view = FleetView(
            client: FleetViewCodecTests.client, publishedAt: 1_764_756_000.25, interval: .seconds(1),
            nodes: [
                FleetNodeView(
                    key: FleetViewCodecTests.key, node: FleetViewCodecTests.nodeA, state: .open,
                    reason: "5 consecutive failures: \"refused\"", errorPercent: 100, p99Micros: 0,
                    timeInState: .milliseconds(3200)),
                FleetNodeView(
                    key: FleetViewCodecTests.key, node: FleetViewCodecTests.nodeB, state: .halfOpen, reason: nil,
                    errorPercent: 12.5, p99Micros: 1234, timeInState: .zero),
            ])
        let ours = try JSONSerialization.jsonObject(with: Data(FleetViewCodec.encode(view))) as? NSDictionary
        let text = String(decoding: FleetViewCodec.encode(view), as: UTF8.self)
        #expect(ours?["version"] as? Int == 1, "\(text)")
        let nodes = try #require(ours?["nodes"] as? [NSDictionary])
        #expect(nodes.count == 2)
        #expect(nodes[0]["reason"] as? String == "5 consecutive failures: \"refused\"")
        #expect(nodes[1]["reason"] == nil)
        #expect(nodes[1]["error_percent"] as? Double == 12.5)
        // Keys in sorted order, as before.
        let prefix = #"{"client":{"host":"client-a","name":"krpc-top","pid":4242},"interval_ms":1000,"#
            + #""nodes":[{"error_percent":100,"in_state_ms":3200,"method":"Login","node":"10.213.0.11:8001","#
            + #""p99_us":0,"reason":"#
        #expect(text.hasPrefix(prefix), "\(text)")
        #expect(text.hasSuffix(#""published_at":1764756000.25,"version":1}"#))
    }
}
