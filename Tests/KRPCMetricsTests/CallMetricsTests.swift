import CoreMetrics
import KRPC
import KRPCMetrics
import KRPCTestSupport
import Prometheus
import Testing

/// ``KRPCCallMetrics`` (server side) into a Prometheus registry through ``KRPCPrometheusFactory`` (no bootstrap).
@Suite("KRPCCallMetrics: counters by code, duration histogram, in flight")
struct CallMetricsTests {
    @Test("calls are counted by method and code; durations land in the right buckets; in flight goes up and down")
    func recordsCalls() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = KRPCCallMetrics(
            .server, methods: [ServiceKey(service: "Echo", method: "Echo")],
            factory: KRPCPrometheusFactory(registry: registry))
        let echo = metrics.method(service: "Echo", method: "Echo")
        #expect(metrics.method(service: "Echo", method: "Echo") === echo, "the metrics of a method are made once")
        // Declared methods appear at zero before their first call.
        var text = PrometheusText(registry.emitToString())
        #expect(text.value("krpc_server_calls_total", ["service": "Echo", "method": "Echo", "code": "ok"]) == 0)
        #expect(text.value("krpc_server_calls_in_flight", ["service": "Echo", "method": "Echo"]) == 0)

        for _ in 0..<3 { echo.callStarted() }
        text = PrometheusText(registry.emitToString())
        #expect(text.value("krpc_server_calls_in_flight", ["service": "Echo", "method": "Echo"]) == 3)
        echo.callEnded(code: 0, nanoseconds: 30_000)  // 30 µs: the first bucket (50 µs)
        echo.callEnded(code: 0, nanoseconds: 3_000_000)  // 3 ms: the 5 ms bucket
        echo.callEnded(code: KRPCError.Code.invalidRequest.rawValue, nanoseconds: 20_000_000_000)  // 20 s: +Inf only

        // A method not declared gets its metrics at its first call.
        let other = metrics.method(service: "Other", method: "Do")
        other.callStarted()
        other.callEnded(code: KRPCError.Code.internal.rawValue, nanoseconds: 1_000)

        text = PrometheusText(registry.emitToString())
        let echoLabels = ["service": "Echo", "method": "Echo"]
        #expect(text.value("krpc_server_calls_in_flight", echoLabels) == 0)
        #expect(text.value("krpc_server_calls_total", echoLabels.merging(["code": "ok"]) { $1 }) == 2)
        #expect(text.value("krpc_server_calls_total", echoLabels.merging(["code": "invalid_request"]) { $1 }) == 1)
        #expect(text.value("krpc_server_call_duration_seconds_count", echoLabels) == 3)
        #expect(
            text.value("krpc_server_call_duration_seconds_bucket", echoLabels.merging(["le": "0.00005"]) { $1 }) == 1)
        #expect(text.value("krpc_server_call_duration_seconds_bucket", echoLabels.merging(["le": "0.005"]) { $1 }) == 2)
        #expect(text.value("krpc_server_call_duration_seconds_bucket", echoLabels.merging(["le": "10.0"]) { $1 }) == 2)
        #expect(text.value("krpc_server_call_duration_seconds_bucket", echoLabels.merging(["le": "+Inf"]) { $1 }) == 3)
        #expect(
            text.value("krpc_server_calls_total", ["service": "Other", "method": "Do", "code": "internal"]) == 1)
        // No series for codes never seen.
        #expect(text.matching("krpc_server_calls_total", echoLabels.merging(["code": "internal"]) { $1 }).isEmpty)
    }

    @Test(
        "the output has HELP and TYPE for every krpc metric and promtool accepts it",
        .enabled(if: Promtool.isAvailable, "promtool is not installed (Debian package 'prometheus')"))
    func promtoolAccepts() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = KRPCCallMetrics(
            .server, methods: [ServiceKey(service: "Echo", method: "Echo")],
            factory: KRPCPrometheusFactory(registry: registry))
        let echo = metrics.method(service: "Echo", method: "Echo")
        echo.callStarted()
        echo.callEnded(code: 14, nanoseconds: 2_000_000)
        let output = registry.emitToString()
        for metric in [
            KRPCMetricsCatalog.serverCalls, KRPCMetricsCatalog.serverCallDuration,
            KRPCMetricsCatalog.serverCallsInFlight,
        ] {
            #expect(output.contains("# HELP \(metric.name) \(metric.help)\n"), "\(output)")
        }
        let (code, log) = try await Promtool.checkMetrics(output)
        #expect(code == 0, "promtool: \(log)\n\(output)")
    }

    @Test("status codes are labelled in snake case; unknown ones by number")
    func codeLabels() {
        #expect(KRPCMetricsCatalog.codeLabel(KRPCError.Code.ok.rawValue) == "ok")
        #expect(KRPCMetricsCatalog.codeLabel(KRPCError.Code.deadlineExceeded.rawValue) == "deadline_exceeded")
        #expect(KRPCMetricsCatalog.codeLabel(KRPCError.Code.unknownMethod.rawValue) == "unknown_method")
        #expect(KRPCMetricsCatalog.codeLabel(99) == "code_99")
    }

    @Test("the factory passes other metrics to swift-prometheus (no HELP text), histograms with krpc's buckets")
    func otherMetrics() {
        let registry = PrometheusCollectorRegistry()
        let factory = KRPCPrometheusFactory(registry: registry)
        CoreMetrics.Counter(label: "app_requests_total", dimensions: [("route", "/a")], factory: factory).increment()
        CoreMetrics.Timer(label: "app_seconds", factory: factory).recordNanoseconds(700_000)
        let output = registry.emitToString()
        #expect(output.contains("# TYPE app_requests_total counter\n"), "\(output)")
        #expect(!output.contains("# HELP app_requests_total"), "\(output)")
        let text = PrometheusText(output)
        #expect(text.value("app_requests_total", ["route": "/a"]) == 1)
        #expect(text.value("app_seconds_bucket", ["le": "0.001"]) == 1)
        #expect(text.value("app_seconds_bucket", ["le": "0.0005"]) == 0)
        #expect(text.matching("app_seconds_bucket").count == KRPCMetricsCatalog.durationBuckets.count + 1)
    }
}
