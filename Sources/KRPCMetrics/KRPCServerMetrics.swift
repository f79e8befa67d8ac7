public import CoreMetrics
public import KRPC
import Synchronization

/// A server's call metrics through swift-metrics, with every metric object made once and kept: calls by
/// method and status code (`krpc_server_calls_total`), answer time (`krpc_server_call_duration_seconds`), calls
/// in flight (`krpc_server_calls_in_flight`). See ``KRPCMetricsCatalog`` for the names and labels.
///
/// Per call it costs one lookup in an immutable dictionary (for the methods given at creation; other methods
/// take a lock to find theirs), the in-flight gauge up and down, one counter and one histogram update: no
/// string is built and no lock taken beyond what the metrics backend takes. A failed call's counter is made
/// the first time its code is seen, under a per-method lock; the success counter exists from the start.
///
/// Install it on a server with ``KRPCServerMetricsInterceptor``. It never bootstraps `MetricsSystem`: the
/// metrics go to `factory`, by default whatever the executable bootstrapped.
public final class KRPCServerMetrics: Sendable {
    /// The metrics of one method.
    public final class Method: Sendable {
        let service: String
        let method: String
        let factory: any MetricsFactory
        let ok: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
        let inFlight: Meter
        /// Counters of the failure codes seen so far (status code → counter).
        private let failures = Mutex<[Int32: CoreMetrics.Counter]>([:])

        init(key: ServiceKey, factory: any MetricsFactory) {
            self.service = key.service
            self.method = key.method
            self.factory = factory
            let labels = [("service", key.service), ("method", key.method)]
            self.ok = CoreMetrics.Counter(
                label: KRPCMetricsCatalog.serverCalls.name, dimensions: labels + [("code", "ok")], factory: factory)
            self.duration = CoreMetrics.Timer(
                label: KRPCMetricsCatalog.serverCallDuration.name, dimensions: labels, factory: factory)
            self.inFlight = Meter(label: KRPCMetricsCatalog.serverCallsInFlight.name, dimensions: labels, factory: factory)
            self.inFlight.set(0)
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

        private func failureCounter(_ code: Int32) -> CoreMetrics.Counter {
            self.failures.withLock { counters in
                if let counter = counters[code] { return counter }
                let counter = CoreMetrics.Counter(
                    label: KRPCMetricsCatalog.serverCalls.name,
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

    private let known: [ServiceKey: Method]
    private let others = Mutex<[ServiceKey: Method]>([:])
    private let factory: any MetricsFactory

    /// Creates the metrics of `methods` now (their series appear at zero before the first call); other methods
    /// get theirs at their first call.
    /// - Parameters:
    ///   - methods: the methods the server serves (e.g. from its services), looked up without a lock.
    ///   - factory: where the metrics are made (default: the one the process bootstrapped).
    public init(methods: [ServiceKey] = [], factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        var known: [ServiceKey: Method] = [:]
        for key in methods where known[key] == nil {
            known[key] = Method(key: key, factory: factory)
        }
        self.known = known
    }

    /// The metrics of `service`.`method`.
    public func method(service: String, method: String) -> Method {
        let key = ServiceKey(service: service, method: method)
        if let found = self.known[key] { return found }
        return self.others.withLock { others in
            if let found = others[key] { return found }
            let made = Method(key: key, factory: self.factory)
            others[key] = made
            return made
        }
    }
}
