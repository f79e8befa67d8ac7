public import CoreMetrics
public import KRPC
import Synchronization

/// Call metrics through swift-metrics, by method, with every metric object made once and kept: calls by status
/// code (`krpc_<side>_calls_total`), their duration (`krpc_<side>_call_duration_seconds`), calls in flight
/// (`krpc_<side>_calls_in_flight`), where the side is `server` (the calls a server's handlers answer) or `client`
/// (the calls a caller makes). See ``KRPCMetricsCatalog`` for the names and labels.
///
/// Per call it costs one lookup in an immutable dictionary (for the methods given at creation; other methods
/// take a lock to find theirs), the in-flight gauge up and down, one counter and one histogram update: no
/// string is built and no lock taken beyond what the metrics backend takes. A failed call's counter is made
/// the first time its code is seen, under a per-method lock; the success counter exists from the start.
///
/// Install it with ``KRPCServerMetricsInterceptor`` or ``KRPCClientMetricsInterceptor``. It never bootstraps
/// `MetricsSystem`: the metrics go to `factory`, by default whatever the executable bootstrapped.
public final class KRPCCallMetrics: Sendable {
    /// Whose calls: a server's or a client's.
    public enum Side: Sendable {
        /// The calls a server's handlers answer (`krpc_server_*`).
        case server
        /// The calls a client makes (`krpc_client_*`).
        case client

        var names: (calls: String, duration: String, inFlight: String) {
            switch self {
            case .server:
                (
                    KRPCMetricsCatalog.serverCalls.name, KRPCMetricsCatalog.serverCallDuration.name,
                    KRPCMetricsCatalog.serverCallsInFlight.name
                )
            case .client:
                (
                    KRPCMetricsCatalog.clientCalls.name, KRPCMetricsCatalog.clientCallDuration.name,
                    KRPCMetricsCatalog.clientCallsInFlight.name
                )
            }
        }
    }

    /// The metrics of one method.
    public final class Method: Sendable {
        let service: String
        let method: String
        let callsName: String
        let factory: any MetricsFactory
        let ok: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
        let inFlight: Meter
        /// Counters of the failure codes seen so far (status code → counter).
        private let failures = Mutex<[Int32: CoreMetrics.Counter]>([:])

        init(key: ServiceKey, side: Side, factory: any MetricsFactory) {
            self.service = key.service
            self.method = key.method
            let names = side.names
            self.callsName = names.calls
            self.factory = factory
            let labels = [("service", key.service), ("method", key.method)]
            self.ok = CoreMetrics.Counter(label: names.calls, dimensions: labels + [("code", "ok")], factory: factory)
            self.duration = CoreMetrics.Timer(label: names.duration, dimensions: labels, factory: factory)
            // Not set to 0 here: a second recorder of the same method (a client's stack made again) shares the gauge
            // with the first, whose calls may still be in flight.
            self.inFlight = Meter(label: names.inFlight, dimensions: labels, factory: factory)
        }

        /// A call started.
        public func callStarted() {
            self.inFlight.increment()
        }

        /// A call that ``callStarted()`` ended after `nanoseconds`, answered with `code` (0: success).
        public func callEnded(code: Int32, nanoseconds: Int64) {
            self.inFlight.decrement()
            self.duration.recordNanoseconds(nanoseconds)
            if code == 0 {
                self.ok.increment()
            } else {
                self.failureCounter(code).increment()
            }
        }

        /// Runs `call` as one call: in flight while it runs, then its duration and its code (0, or the code of the
        /// error it throws, thrown on).
        func measure<Response>(_ call: () throws(KRPCError) -> Response) throws(KRPCError) -> Response {
            self.callStarted()
            let start = ContinuousClock.now
            do {
                let response = try call()
                self.callEnded(code: 0, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
                return response
            } catch {
                self.callEnded(code: error.code.rawValue, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
                throw error
            }
        }

        /// As ``measure(_:)``, for a call that suspends.
        func measure<Response>(_ call: () async throws(KRPCError) -> Response) async throws(KRPCError) -> Response {
            self.callStarted()
            let start = ContinuousClock.now
            do {
                let response = try await call()
                self.callEnded(code: 0, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
                return response
            } catch {
                self.callEnded(code: error.code.rawValue, nanoseconds: (ContinuousClock.now - start).wholeNanoseconds)
                throw error
            }
        }

        private func failureCounter(_ code: Int32) -> CoreMetrics.Counter {
            self.failures.withLock { counters in
                if let counter = counters[code] { return counter }
                let counter = CoreMetrics.Counter(
                    label: self.callsName,
                    dimensions: [
                        ("service", self.service), ("method", self.method),
                        ("code", KRPCMetricsCatalog.codeLabel(code)),
                    ],
                    factory: self.factory)
                counters[code] = counter
                return counter
            }
        }
    }

    /// Whose calls these are.
    public let side: Side
    private let known: [ServiceKey: Method]
    private let others = Mutex<[ServiceKey: Method]>([:])
    private let factory: any MetricsFactory

    /// Creates the metrics of `methods` now (their series appear at zero before the first call); other methods
    /// get theirs at their first call.
    /// - Parameters:
    ///   - side: a server's calls or a client's.
    ///   - methods: the methods served or called (e.g. from the services), looked up without a lock.
    ///   - factory: where the metrics are made (default: the one the process bootstrapped).
    public init(_ side: Side, methods: [ServiceKey] = [], factory: any MetricsFactory = MetricsSystem.factory) {
        self.side = side
        self.factory = factory
        var known: [ServiceKey: Method] = [:]
        for key in methods where known[key] == nil {
            known[key] = Method(key: key, side: side, factory: factory)
        }
        self.known = known
    }

    /// The metrics of `key`.
    public func method(_ key: ServiceKey) -> Method {
        if let found = self.known[key] { return found }
        return self.others.withLock { others in
            if let found = others[key] { return found }
            let made = Method(key: key, side: self.side, factory: self.factory)
            others[key] = made
            return made
        }
    }

    /// The metrics of `service`.`method`.
    public func method(service: String, method: String) -> Method {
        self.method(ServiceKey(service: service, method: method))
    }
}
