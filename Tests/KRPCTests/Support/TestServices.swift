import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import Synchronization

/// Counts what the `Test` service's handlers saw.
final class Probe: Sendable {
    private struct State {
        var started = 0
        var cancelled = 0
        var gateOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var started: Int { self.state.withLock { $0.started } }
    var cancelled: Int { self.state.withLock { $0.cancelled } }

    func markStarted() { self.state.withLock { $0.started += 1 } }
    func markCancelled() { self.state.withLock { $0.cancelled += 1 } }

    /// Suspends until ``openGate()`` (returns at once if it was opened).
    func waitForGate() async {
        await withCheckedContinuation { continuation in
            let open: Bool = self.state.withLock { state in
                if state.gateOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func openGate() {
        let waiters = self.state.withLock { state in
            state.gateOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// `Test.Hang` (never answers until cancelled), `Test.Gate` (answers once the probe's gate opens),
/// `Test.Big` (answers as many bytes as the request's text says).
struct TestService: KRPCService {
    let probe: Probe

    var serviceName: String { "Test" }

    var methods: [KRPCMethod] {
        [
            .unary("Hang") { (_: EchoRequest, _) in
                self.probe.markStarted()
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    self.probe.markCancelled()
                    throw error
                }
                return EchoResponse()
            },
            .unary("Gate") { (request: EchoRequest, _) in
                self.probe.markStarted()
                await self.probe.waitForGate()
                var response = EchoResponse()
                response.value = request.value
                return response
            },
            .unary("Big") { (request: EchoRequest, _) in
                var response = EchoResponse()
                response.value = Data(repeating: 0x62, count: Int(String(decoding: request.value, as: UTF8.self)) ?? 0)
                return response
            },
        ]
    }
}

/// A fault source the test sets directly.
final class TestFaults: FaultSource {
    private let fault = Mutex<Fault?>(nil)
    func set(_ fault: Fault?) { self.fault.withLock { $0 = fault } }
    func currentFault() -> Fault? { self.fault.withLock { $0 } }
}

/// A counter store that records every call.
final class RecordingCounters: CallCounterStore {
    struct Record: Hashable, Sendable {
        var key: ServiceKey
        var node: NodeAddress
        var failed: Bool
    }

    private let records = Mutex<[Record]>([])
    var all: [Record] { self.records.withLock { $0 } }

    func recordCall(_ key: ServiceKey, node: NodeAddress, failed: Bool) {
        self.records.withLock { $0.append(Record(key: key, node: node, failed: failed)) }
    }
}
