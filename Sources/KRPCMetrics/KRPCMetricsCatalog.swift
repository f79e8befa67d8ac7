/// The metrics krpc records through swift-metrics: their names, help texts and histogram buckets, in one
/// place (README's "Metrics" section lists the same).
///
/// The recorders (``KRPCCallMetrics``, ``KRPCChannelMetrics``) take their names from here, and
/// ``KRPCPrometheusFactory`` their help texts and buckets, so that a name is spelt once.
public enum KRPCMetricsCatalog {
    /// One metric: its name and what it means.
    public struct Metric: Sendable, Hashable {
        /// The Prometheus name, e.g. `krpc_server_calls_total`.
        public var name: String
        /// The `# HELP` text.
        public var help: String
    }

    // MARK: Server

    /// Counter `{service,method,code}`: calls a server handled, by the status code it answered with (`ok` for
    /// success). Errors are the calls whose code is not `ok`: no separate counter, as Prometheus's conventions
    /// (and grpc's `grpc_server_handled_total`) have it.
    public static let serverCalls = Metric(
        name: "krpc_server_calls_total",
        help: "Calls a krpc server handled, by service, method and status code (ok for success).")
    /// Histogram `{service,method}`: how long the server took to answer a call, from the interceptor's start to the
    /// handler's answer.
    public static let serverCallDuration = Metric(
        name: "krpc_server_call_duration_seconds",
        help: "Time a krpc server took to answer a call, by service and method.")
    /// Gauge `{service,method}`: calls a server is handling now.
    public static let serverCallsInFlight = Metric(
        name: "krpc_server_calls_in_flight",
        help: "Calls a krpc server is handling now, by service and method.")

    // MARK: Client

    /// Counter `{service,method,code}`: calls a client made (as the caller sees them: after failover and
    /// hedging, through a channel), by the status code they ended with (`ok` for success).
    public static let clientCalls = Metric(
        name: "krpc_client_calls_total",
        help: "Calls a krpc client made (after failover and hedging), by service, method and status code.")
    /// Histogram `{service,method}`: how long a client's calls took, as the caller waited.
    public static let clientCallDuration = Metric(
        name: "krpc_client_call_duration_seconds",
        help: "Time krpc client calls took as the caller waited (failover and hedging included).")
    /// Gauge `{service,method}`: calls a client is waiting for now.
    public static let clientCallsInFlight = Metric(
        name: "krpc_client_calls_in_flight",
        help: "Calls a krpc client is waiting for now, by service and method.")
    /// Counter `{service,method,node,outcome}`: attempts a channel sent to a node, by outcome (`success`,
    /// `failure`, `timeout`). Caller errors and cancellations are not attempts that count for or against a node,
    /// and are left out.
    public static let clientAttempts = Metric(
        name: "krpc_client_attempts_total",
        help: "Attempts a krpc client channel sent to a node, by outcome: success, failure or timeout.")
    /// Histogram `{service,method,node}`: how long attempts to a node took, whatever their outcome.
    public static let clientAttemptDuration = Metric(
        name: "krpc_client_attempt_duration_seconds",
        help: "Time attempts of a krpc client channel took on a node, from sending to the answer or timeout.")
    /// Gauge `{service,method,node,state}`: one series per breaker state (`closed`, `half_open`, `open`), 1 for
    /// the node's current state and 0 for the others (Prometheus's convention for an enumeration).
    public static let clientBreakerState = Metric(
        name: "krpc_client_breaker_state",
        help: "Circuit breaker state of a node as a krpc client channel sees it: 1 for the current state, else 0.")
    /// Counter `{service,method}`: extra attempts sent to another node after one failed (failover).
    public static let clientFailovers = Metric(
        name: "krpc_client_failovers_total",
        help: "Attempts a krpc client channel retried on another node after a failure.")
    /// Counter `{service,method}`: backup attempts sent because the first had not answered in time (hedging).
    public static let clientHedges = Metric(
        name: "krpc_client_hedges_total",
        help: "Backup attempts a krpc client channel sent while the first attempt was still unanswered.")
    /// Gauge `{service,method}`: 1 while the channel is in panic mode (too many nodes ejected: calls go to every
    /// node), else 0.
    public static let clientPanic = Metric(
        name: "krpc_client_panic",
        help: "1 while a krpc client channel is in panic mode (too many nodes ejected; calls spread over all).")
    /// Gauge `{service,method}`: the nodes a channel knows.
    public static let clientNodes = Metric(
        name: "krpc_client_nodes",
        help: "Nodes a krpc client channel knows from the registry.")

    /// Every metric above.
    public static let all: [Metric] = [
        serverCalls, serverCallDuration, serverCallsInFlight,
        clientCalls, clientCallDuration, clientCallsInFlight,
        clientAttempts, clientAttemptDuration, clientBreakerState, clientFailovers, clientHedges,
        clientPanic, clientNodes,
    ]

    /// Buckets of the duration histograms: 50 µs to 10 s, about ×2 apart, for calls from a cached answer on the
    /// same machine to a slow one across a data centre.
    public static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// The `code` label of a status code: its name in snake case (`ok`, `invalid_request`, `deadline_exceeded`…),
    /// or `code_<n>` for one this version does not know.
    public static func codeLabel(_ rawValue: Int32) -> String {
        switch rawValue {
        case 0: "ok"
        case 1: "cancelled"
        case 2: "unknown"
        case 3: "invalid_request"
        case 4: "deadline_exceeded"
        case 5: "unknown_service"
        case 6: "unknown_method"
        case 8: "overloaded"
        case 13: "internal"
        case 14: "unavailable"
        case 15: "protocol_error"
        case 16: "frame_too_large"
        default: "code_\(rawValue)"
        }
    }
}
