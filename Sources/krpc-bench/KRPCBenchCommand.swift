// krpc-bench --target HOST:PORT --concurrency C --duration D --payload P [--warmup W]
//            [--connections N] [--json]
// krpc-bench --zk HOST:PORT [--service S --method M] ...   (through the client stack, over every node)
//
// Closed-loop load generator with the rules of shared/bench/README.md: C slots, each a task
// pinned to its connection's event loop, issue Echo.Echo calls back to back (spread over N
// NodeConnections, default 1). Warm-up for W seconds, then a measured window of D seconds; a call
// counts if it *started* inside the window; its latency (just before the call to the response
// decoded) goes into an HdrHistogram (ns, 3 significant digits). qps = counted calls / D.

import ArgumentParser
import Foundation
import Histogram
import KRPC
import KRPCPolicy
import KRPCTracing
import KRPCWire
import KRPCZooKeeper
import NIOCore
import NIOPosix

@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

struct SlotResult: Sendable {
    var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 60_000_000_000,  // 60 s in ns
        numberOfSignificantValueDigits: .three
    )
    var calls = 0
    var errors = 0
}

@main
struct KRPCBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krpc-bench",
        abstract: "Closed-loop Echo benchmark against a krpc server.",
        discussion: "With --json, prints exactly one JSON line, the schema of shared/bench/README.md."
    )

    @Option(help: "Server address, HOST:PORT.")
    var target: String?

    @Option(help: "ZooKeeper servers (HOST:PORT[,HOST:PORT...]): call every node registered for the method through the client stack (balancing, breakers, failover) instead of one --target.")
    var zk: String?

    @Option(help: "With --zk: the service whose registered nodes take the load (default Echo). The calls are Echo.Echo, which every krpc-server serves.")
    var service: String?

    @Option(help: "With --zk: the method whose registered nodes take the load (default Echo).")
    var method: String?

    @Option(help: "Calls kept in flight.")
    var concurrency: Int = 1

    @Option(help: "Measured duration in seconds.")
    var duration: Double = 5

    @Option(help: "Payload bytes each way (EchoRequest.value).")
    var payload: Int = 64

    @Option(help: "Warm-up seconds before the measured window (not recorded).")
    var warmup: Double = 1

    @Option(help: "Connections to spread the calls over.")
    var connections: Int = 1

    @Option(help: "Per-call deadline in seconds.")
    var deadline: Double = 5

    @Option(help: "Flush requests after this many frames (and at the end of each event-loop tick).")
    var flushEvery: Int = 8

    @Flag(help: "Make every call through the client tracing interceptor (no tracer is bootstrapped: its cost only).")
    var tracing = false

    @Flag(help: "Print one JSON line instead of a summary.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...100000") }
        guard try Self.seconds(self.duration, "--duration") > .zero else { throw ValidationError("--duration must be > 0") }
        // Past the servers' 4 MiB frame limit every call fails anyway; a typo must not allocate terabytes.
        guard (0...16 * 1024 * 1024).contains(self.payload) else {
            throw ValidationError("--payload must be 0...16777216 bytes, got \(self.payload)")
        }
        _ = try Self.seconds(self.warmup, "--warmup")
        guard (1...1024).contains(self.connections) else { throw ValidationError("--connections must be 1...1024") }
        guard try Self.seconds(self.deadline, "--deadline") > .zero else { throw ValidationError("--deadline must be > 0") }
        guard self.flushEvery >= 1 else { throw ValidationError("--flush-every must be >= 1") }
        switch (self.target, self.zk) {
        case (nil, nil): throw ValidationError("give --target HOST:PORT, or --zk ADDRS [--service S --method M]")
        case (.some, .some): throw ValidationError("--target and --zk exclude each other")
        case (.some(let target), nil):
            guard NodeAddress(parsing: target) != nil else { throw ValidationError("--target must be HOST:PORT, got '\(target)'") }
            if self.service != nil || self.method != nil { throw ValidationError("--service/--method go with --zk") }
        case (nil, .some): break
        }
    }

    /// The client interceptors the flags ask for.
    var interceptors: [any KRPCClientInterceptor] {
        self.tracing ? [KRPCClientTracingInterceptor()] : []
    }

    func run() async throws {
        if let zk = self.zk {
            try await self.runThroughChannel(zk: zk)
            return
        }
        guard let target = self.target.flatMap({ NodeAddress(parsing: $0) }) else { return }
        let configuration = NodeConnection.Configuration(flushEvery: self.flushEvery, interceptors: self.interceptors)
        let connections = (0..<self.connections).map { _ in NodeConnection(to: target, configuration: configuration) }

        // Calls carry deadlines, so the run cannot hang; this is a last resort.
        let limit = self.warmup + self.duration + self.deadline + 15
        Task.detached {
            try? await Task.sleep(for: .seconds(limit))
            FileHandle.standardError.write(Data("krpc-bench: no result after \(limit) s, giving up\n".utf8))
            Foundation.exit(3)
        }

        // Each slot's task runs on its connection's event loop: no thread hop per call.
        let total = await self.measure { slot in
            let connection = connections[slot % connections.count]
            return (connection, connection.executor)
        }
        for connection in connections { await connection.close() }
        self.report(total)
    }

    /// `--zk`: the same load through the client stack (discovery, balancing, breakers, failover),
    /// spread over every node registered for the service method.
    func runThroughChannel(zk: String) async throws {
        let registry = try ZooKeeperRegistry(configuration: .init(connectionString: zk))
        let registryRunning = Task { await registry.run() }
        defer { registryRunning.cancel() }
        let key = ServiceKey(service: self.service ?? Echo.name, method: self.method ?? Echo.echo)
        let channel = KRPCChannel(key: key, registry: registry, configuration: .init(interceptors: self.interceptors))
        let running = Task { await channel.run() }
        let found = ContinuousClock.now + .seconds(10)
        while channel.snapshot().nodes.isEmpty {
            guard ContinuousClock.now < found else {
                throw ValidationError("no node registered for \(key) in ZooKeeper \(zk) within 10 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let total = await self.measure { _ in (channel, nil) }
        running.cancel()
        await running.value
        await registry.close()
        self.report(total)
    }

    /// Keeps `--concurrency` Echo calls in flight, each slot calling through the caller (and on the task
    /// executor, if any) `slot` gives it, and measures the calls that start between the warm-up and the end.
    func measure<Caller: KRPCCaller>(
        _ slot: (Int) -> (caller: Caller, executor: (any TaskExecutor)?)
    ) async -> SlotResult {
        var echoRequest = EchoRequest()
        echoRequest.value = Data(repeating: 0x61, count: self.payload)
        let request = echoRequest
        let payload = self.payload
        let deadline = Duration.milliseconds(Int64(self.deadline * 1000))
        let start = monotonicNanos()
        let measureStart = start + UInt64(self.warmup * 1e9)
        let measureEnd = measureStart + UInt64(self.duration * 1e9)

        return await withTaskGroup(of: SlotResult.self) { group in
            for index in 0..<self.concurrency {
                let (caller, executor) = slot(index)
                group.addTask(executorPreference: executor) {
                    let client = EchoClient(caller)
                    var result = SlotResult()
                    while true {
                        let t0 = monotonicNanos()
                        if t0 >= measureEnd { break }
                        let ok: Bool
                        do {
                            ok = try await client.echo(request, deadline: deadline).value.count == payload
                        } catch {
                            ok = false
                        }
                        let t1 = monotonicNanos()
                        if t0 >= measureStart {
                            if ok {
                                result.calls += 1
                                _ = result.histogram.record(t1 - t0)
                            } else {
                                result.errors += 1
                            }
                        }
                    }
                    return result
                }
            }
            var total = SlotResult()
            for await result in group {
                total.histogram.add(result.histogram)
                total.calls += result.calls
                total.errors += result.errors
            }
            return total
        }
    }

    /// An option in seconds as a duration: a number from 0 to a year, or an error naming the option.
    static func seconds(_ value: Double, _ name: String) throws(ValidationError) -> Duration {
        guard let duration = Duration(optionSeconds: value) else {
            throw ValidationError("\(name) must be 0...\(Int(Duration.longestOptionSeconds)) seconds, got \(value)")
        }
        return duration
    }

    func report(_ total: SlotResult) {
        let target = self.target ?? "nodes of ZooKeeper \(self.zk ?? "")"
        let qps = Double(total.calls) / self.duration
        let p50 = total.calls > 0 ? Double(total.histogram.valueAtPercentile(50.0)) / 1000 : 0
        let p99 = total.calls > 0 ? Double(total.histogram.valueAtPercentile(99.0)) / 1000 : 0
        if self.json {
            print(
                "{\"peer\":\"krpc\",\"concurrency\":\(self.concurrency),\"payload\":\(self.payload),"
                    + "\"duration_s\":\(fmt(self.duration)),\"calls\":\(total.calls),\"qps\":\(fmt(qps, 1)),"
                    + "\"p50_us\":\(fmt(p50, 1)),\"p99_us\":\(fmt(p99, 1)),\"errors\":\(total.errors)}"
            )
        } else {
            print(
                """
                krpc-bench: \(target) Echo.Echo, C=\(self.concurrency) over \(self.connections) connection(s), \
                P=\(self.payload) B, W=\(fmt(self.warmup)) s, D=\(fmt(self.duration)) s
                  calls  \(total.calls) (\(fmt(qps, 1))/s), errors \(total.errors)
                  p50    \(fmt(p50, 1)) µs
                  p99    \(fmt(p99, 1)) µs
                """
            )
        }
    }
}

/// JSON number formatting: `digits` decimals; with `digits` nil, whole numbers print bare, others
/// with 3 decimals.
func fmt(_ x: Double, _ digits: Int? = nil) -> String {
    guard let digits else {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.3f", x)
    }
    return String(format: "%.\(digits)f", x)
}
