public import Histogram
import Synchronization

/// Per-method counters of one server: calls handled, calls failed, latency.
///
/// Updated once per call from the event loops (one uncontended lock per call); read with
/// ``snapshot()`` (a copy; cheap enough for a dashboard refresh).
public final class ServerStatistics: Sendable {
    /// The counters of one method at one moment.
    public struct MethodSnapshot: Sendable {
        /// Service name.
        public var service: String
        /// Method name.
        public var method: String
        /// Calls handled (answered or dropped), including failed ones.
        public var calls: UInt64
        /// Calls that did not end in a successful response.
        public var errors: UInt64
        /// Calls accepted and not answered yet (running, or held by a fault).
        public var inFlight: UInt64
        /// Latency of handled calls in microseconds, from arrival to answer.
        public var latencyMicroseconds: Histogram<UInt64>
    }

    final class Method: Sendable {
        let service: String
        let method: String
        private let state: Mutex<State>
        /// Calls accepted; `started - calls` are in flight. An atomic, so that accepting a call takes no lock.
        private let started = Atomic<UInt64>(0)

        struct State {
            var calls: UInt64 = 0
            var errors: UInt64 = 0
            var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        }

        init(service: String, method: String) {
            self.service = service
            self.method = method
            self.state = Mutex(State())
        }

        /// A call was accepted; ``record(failed:nanoseconds:)`` ends it.
        func callStarted() {
            self.started.add(1, ordering: .relaxed)
        }

        /// A call ended (answered, dropped, timed out or cancelled).
        func record(failed: Bool, nanoseconds: UInt64) {
            let micros = min(nanoseconds / 1000, 60_000_000)
            self.state.withLock { state in
                state.calls &+= 1
                if failed { state.errors &+= 1 }
                _ = state.latency.record(micros)
            }
        }

        func snapshot() -> MethodSnapshot {
            var snapshot = self.state.withLock { state in
                MethodSnapshot(
                    service: self.service,
                    method: self.method,
                    calls: state.calls,
                    errors: state.errors,
                    inFlight: 0,
                    latencyMicroseconds: state.latency
                )
            }
            // Read after the lock: every call counted in `calls` was counted in `started` before it.
            let started = self.started.load(ordering: .relaxed)
            snapshot.inFlight = started > snapshot.calls ? started - snapshot.calls : 0
            return snapshot
        }
    }

    private let methods: [String: [String: Method]]

    init(services: [any KRPCService]) {
        var table: [String: [String: Method]] = [:]
        for service in services {
            for method in service.methods {
                table[service.serviceName, default: [:]][method.name] = Method(
                    service: service.serviceName,
                    method: method.name
                )
            }
        }
        self.methods = table
    }

    func method(service: String, method: String) -> Method? {
        self.methods[service]?[method]
    }

    /// The counters of every method, sorted by service and method.
    public func snapshot() -> [MethodSnapshot] {
        self.methods.values.flatMap { $0.values.map { $0.snapshot() } }
            .sorted { ($0.service, $0.method) < ($1.service, $1.method) }
    }
}
