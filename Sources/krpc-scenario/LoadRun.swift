import Foundation
import KRPC
import KRPCPolicy
import KRPCWire
import Logging

/// `krpc-scenario load`: a headless client that calls the service at a steady rate until its duration
/// ends (or it is stopped), for the demo's second client host. Every second it rewrites a status file
/// (JSON, replaced atomically) with what its channel saw:
///
/// ```json
/// {"calls":120,"caller_failures":0,"elapsed_s":6.0,
///  "nodes":{"10.213.0.11:8000":{"state":"closed","successes":40,"failures":0}}}
/// ```
struct LoadRun {
    let channel: KRPCChannel
    let rate: Int
    let duration: Duration
    let statusFile: String?
    let logger: Logger

    /// Calls until the duration ends or the task is cancelled.
    func run() async {
        var request = LoginRequest()
        request.name = "zhangsan"
        request.pwd = "123456"
        let clock = ContinuousClock()
        let start = clock.now
        let spacing = Duration.seconds(1) / max(1, self.rate)
        var next = start
        var lastStatus = start
        var calls = 0
        var failures = 0
        while !Task.isCancelled, clock.now - start < self.duration {
            calls += 1
            do {
                _ = try await UserServiceClient(self.channel).login(request, deadline: .seconds(1))
            } catch {
                failures += 1
                self.logger.info("call failed", metadata: ["krpc.error": "\(error)"])
            }
            if clock.now - lastStatus >= .seconds(1) {
                lastStatus = clock.now
                self.writeStatus(calls: calls, failures: failures, elapsed: clock.now - start)
            }
            next += spacing
            if next > clock.now {
                do { try await Task.sleep(until: next, clock: clock) } catch { break }
            } else {
                next = clock.now
            }
        }
        self.writeStatus(calls: calls, failures: failures, elapsed: clock.now - start)
    }

    private func writeStatus(calls: Int, failures: Int, elapsed: Duration) {
        guard let statusFile = self.statusFile else { return }
        var nodes: [String: Any] = [:]
        for node in self.channel.snapshot().nodes {
            nodes[node.address.description] = [
                "state": node.breaker.state.rawValue, "successes": node.successes, "failures": node.failures,
            ]
        }
        let status: [String: Any] = [
            "calls": calls, "caller_failures": failures, "elapsed_s": Double(elapsed / .milliseconds(1)) / 1000,
            "nodes": nodes,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys]) else { return }
        do {
            try data.write(to: URL(fileURLWithPath: statusFile), options: .atomic)
        } catch {
            self.logger.warning("cannot write the status file", metadata: ["file": "\(statusFile)", "error": "\(error)"])
        }
    }
}
