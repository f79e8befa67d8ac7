import KRPCTopCore

#if canImport(Glibc)
import Glibc
#endif

/// `krpc-top-render-bench`: how long krpc-top takes to turn one snapshot of a large registry into a frame of the
/// services view — the reducer taking the snapshot, then the renderer — with no terminal and no I/O.
///
///     swift build -c release --product krpc-top-render-bench
///     .build/release/krpc-top-render-bench [--methods 50] [--nodes 1000] [--frames 2000] [--size 120x40]
///
/// Prints the median, p99 and maximum per frame in milliseconds. The target is under 5 ms at 1,000 nodes across
/// 50 methods.
@main
struct RenderBench {
    static func main() {
        var methods = 50
        var nodes = 1000
        var frames = 2000
        var size = ScreenSize(width: 120, height: 40)
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { return Self.usage("\(flag) needs a value") }
            switch flag {
            case "--methods": methods = Int(value) ?? -1
            case "--nodes": nodes = Int(value) ?? -1
            case "--frames": frames = Int(value) ?? -1
            case "--size":
                let parts = value.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2 else { return Self.usage("--size takes WIDTHxHEIGHT") }
                size = ScreenSize(width: parts[0], height: parts[1])
            default: return Self.usage("unknown option \(flag)")
            }
        }
        guard (1...10_000).contains(methods), (0...1_000_000).contains(nodes), (1...1_000_000).contains(frames) else {
            return Self.usage("--methods 1...10000, --nodes 0...1000000, --frames 1...1000000")
        }

        var history = ClusterHistory()
        for i in 0..<ClusterHistory.capacity {
            history.append(callRate: Double(900 + i % 50), errorPercent: Double(i % 7), p99Microseconds: 2000 + i * 7)
        }
        var view = ViewState(size: size, screen: .services)
        var snapshots: [DashboardSnapshot] = []
        for frame in 0..<2 {
            var snapshot = DashboardSnapshot(service: "", method: "", zookeeper: .connected, redis: .connected)
            snapshot.services = (0..<methods).map { m in
                let registered = nodes / methods + (m < nodes % methods ? 1 : 0)
                return ServiceSummary(
                    service: "Service\(m / 5)", method: "Method\(m % 5)", registered: registered,
                    seenHealthy: m == 0 ? registered : nil, redisCalls: 1_000_000 + m * 1000 + frame,
                    redisErrors: m * 10, callRate: Double(20 + m), errorPercent: Double(m % 3))
            }
            snapshot.history = history
            snapshots.append(snapshot)
        }
        var times: [Double] = []
        times.reserveCapacity(frames)
        let clock = ContinuousClock()
        var checksum = 0
        for i in 0..<frames {
            let start = clock.now
            _ = view.apply(.snapshot(snapshots[i % 2]))
            let buffer = Renderer.render(view)
            let elapsed = clock.now - start
            checksum &+= buffer.cells.count
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        times.sort()
        func at(_ p: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * p))] }
        print(
            "services view, \(methods) methods, \(nodes) nodes, \(size): \(frames) frames; per frame "
                + "median \(Self.ms(at(0.5))) ms, p99 \(Self.ms(at(0.99))) ms, "
                + "max \(Self.ms(times[times.count - 1])) ms "
                + "(cells \(checksum / frames))")
    }

    static func ms(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    static func usage(_ problem: String) {
        print("krpc-top-render-bench: \(problem)")
        print("usage: krpc-top-render-bench [--methods N] [--nodes N] [--frames N] [--size WxH]")
        exit(2)
    }
}
