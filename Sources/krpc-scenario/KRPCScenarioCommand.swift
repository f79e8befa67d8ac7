import ArgumentParser
import Foundation
import KRPC
import KRPCDemo
import KRPCPolicy
import KRPCWire
import KRPCRedis
import KRPCZooKeeper
import Logging

/// `krpc-scenario`: runs one of the seed's experiments against a live cluster (`demo-cluster/scenario`).
@main
struct KRPCScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krpc-scenario",
        abstract: "Run one of the seed's experiments against a running krpc cluster and judge it.",
        discussion: """
            Scenarios: balance, error, error-and-timeout, recover. The nodes (in scenario order: faults go \
            to the first, and the second) default to every node registered, sorted by port.
            `load` is no scenario: a headless client calling at --rate for --duration (the demo's second \
            client host), rewriting --status-file every second.
            The client publishes its view of each node to Redis (krpc:view:<host>:<pid>:<name>) unless \
            --no-fleet-view.
            Exit status: 0 when the verdict is PASS, 1 when FAIL, 2 when the scenario could not run.
            """
    )

    @Argument(help: "balance | error | error-and-timeout | recover | load")
    var scenario: String

    @Option(help: "ZooKeeper connection string (host:port[,host:port…])")
    var zk: String = "127.0.0.1:2181"

    @Option(help: "ZooKeeper root under which services are registered (default: none, as the seed)")
    var zkRoot: String = ""

    @Option(help: "Redis address (host:port)")
    var redis: String = "127.0.0.1:6379"

    @Option(help: "Service name") var service: String = "UserServiceRpc"
    @Option(help: "Method name") var method: String = "Login"

    @Option(help: "Nodes in scenario order, comma-separated host:port (default: all registered, by port)")
    var nodes: String?

    @Option(help: "Log file (default: none)")
    var logFile: String?

    @Option(help: "load: how long to call, in seconds") var duration: Int = 60
    @Option(help: "load: calls per second") var rate: Int = 20
    @Option(help: "load: a JSON file rewritten every second with the calls and each node's state")
    var statusFile: String?

    @Option(help: "The name this client publishes its fleet view under") var clientName: String = "krpc-scenario"
    @Option(help: "The host this client publishes its fleet view under (default: the host name)")
    var clientHost: String?
    @Flag(help: "Do not publish this client's view of the nodes to Redis") var noFleetView = false

    func validate() throws {
        if self.scenario == "load" {
            guard self.duration > 0, self.rate > 0 else { throw ValidationError("--duration and --rate take numbers > 0") }
            return
        }
        guard DemoScenario(rawValue: self.scenario) != nil else {
            throw ValidationError("unknown scenario '\(self.scenario)'; one of: \(DemoScenario.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let nodes, nodes.split(separator: ",").contains(where: { NodeAddress(parsing: $0) == nil }) {
            throw ValidationError("--nodes takes host:port,host:port,…")
        }
    }

    func run() async throws {
        let scenario = DemoScenario(rawValue: self.scenario)  // nil: load (checked in validate())
        var logger = Logger(label: "krpc-scenario", factory: { _ in SwiftLogNoOpLogHandler() })
        if let logFile, let handler = FileLogHandler(path: logFile) {
            logger = Logger(label: "krpc-scenario", factory: { _ in handler })
            logger.logLevel = .debug
        }
        let key = ServiceKey(service: self.service, method: self.method)
        do {
            let registry = try ZooKeeperRegistry(
                configuration: .init(connectionString: self.zk, root: self.zkRoot, logger: logger)
            )
            let registryRunning = Task { await registry.run() }
            defer { registryRunning.cancel() }
            let redisClient = try RedisClient(configuration: RedisConfiguration(address: self.redis), logger: logger)
            var configuration = KRPCChannel.Configuration.interactive
            configuration.logger = logger
            // The seed's balance experiment measures the spread alone: a hedge fired by a slow moment of
            // a busy machine would add a call to a second node and blur the exact thirds.
            if scenario == .balance { configuration.hedging = nil }
            let channel = KRPCChannel(key: key, registry: registry, configuration: configuration)
            let running = Task { await channel.run() }
            defer { running.cancel() }
            // The fleet view goes through a client of its own: a slow Redis must not delay the scenario's reads.
            let viewClient = try RedisClient(configuration: RedisConfiguration(address: self.redis), logger: logger)
            let publisher = FleetViewPublisher(
                client: viewClient,
                clientID: .current(name: self.clientName, host: self.clientHost),
                channels: [channel],
                logger: logger
            )
            let publishing = Task { if !self.noFleetView { await publisher.run() } }
            defer { publishing.cancel() }

            guard let scenario else {
                try await self.waitForNodes(channel, minimum: 1)
                await LoadRun(
                    channel: channel, rate: self.rate, duration: .seconds(self.duration), statusFile: self.statusFile,
                    logger: logger
                ).run()
                publishing.cancel()
                await publishing.value
                await viewClient.shutdown()
                await redisClient.shutdown()
                return
            }

            let wanted = self.nodes.map { $0.split(separator: ",").compactMap { NodeAddress(parsing: $0) } }
            let deadline = ContinuousClock.now + .seconds(15)
            var known: [NodeAddress] = []
            while ContinuousClock.now < deadline {
                known = channel.snapshot().nodes.map(\.address)
                if let wanted, Set(wanted).isSubset(of: known) { break }
                if wanted == nil, known.count >= scenario.minimumNodes { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let order = wanted ?? known.sorted { ($0.port, $0.host) < ($1.port, $1.host) }
            guard Set(order).isSubset(of: known), !order.isEmpty else {
                throw ScenarioError("nodes not registered under /\(self.service)/\(self.method) in ZooKeeper \(self.zk): wanted \(order.map(\.description)), found \(known.map(\.description))")
            }
            let runner = ScenarioRunner(channel: channel, redis: redisClient, nodes: order, logger: logger)
            let observation = try await runner.run(scenario)
            let verdict = ScenarioVerdict.judge(scenario, observation)
            print(ScenarioReport.render(scenario, observation, verdict))
            publishing.cancel()
            await publishing.value
            await viewClient.shutdown()
            await redisClient.shutdown()
            if !verdict.passed { throw ExitCode(1) }
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("krpc-scenario: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension KRPCScenarioCommand {
    /// Waits up to 15 s until the channel knows `minimum` nodes.
    func waitForNodes(_ channel: KRPCChannel, minimum: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while channel.snapshot().nodes.count < minimum {
            guard ContinuousClock.now < deadline else {
                throw ScenarioError("no node registered under /\(self.service)/\(self.method) in ZooKeeper \(self.zk)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Appends log lines to a file.
struct FileLogHandler: LogHandler {
    private let handle: FileHandle
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init?(path: String) {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return nil }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let meta = (self.metadata.merging(event.metadata ?? [:]) { $1 }).map { "\($0)=\($1)" }.sorted().joined(separator: " ")
        self.handle.write(Data("\(Date()) \(event.level) \(event.message) \(meta)\n".utf8))
    }
}
