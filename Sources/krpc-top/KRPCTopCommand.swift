import ArgumentParser
import Foundation
import KRPC
import KRPCPolicy
import KRPCTopCore
import Logging

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `krpc-top`: the live dashboard of a krpc service, as one embedded client sees it.
@main
struct KRPCTopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krpc-top",
        abstract: "Live dashboard of a krpc service: nodes, breakers, latency, call counts, faults.",
        discussion: """
            krpc-top runs the whole client stack in process (registry, balancer, per-node breakers and \
            probes, failover, hedging), calls the service at a rate you control, and shows the cluster \
            as this client sees it. Keys: ↑/↓ or j/k select, e t d c set error / timeout / delay / clear \
            on the selected node (needs servers started with --allow-fault-injection), +/- rate, space \
            pause, b balancer, s sort, / filter, T theme, ? help, q or Ctrl-C quit.

            With --once it draws nothing: it runs the same client and load for --duration seconds, then \
            prints one JSON document on stdout and exits 0.

            Logs go to --log-file (default $XDG_STATE_HOME/krpc/krpc-top.log, else /tmp/krpc-top-UID.log), \
            never to the screen.
            """
    )

    @Option(help: ArgumentHelp("ZooKeeper servers to discover nodes in.", valueName: "host:port[,host:port...]"))
    var zk: String?

    @Option(
        help: ArgumentHelp(
            "Root path of the registry layout in ZooKeeper (default: none, as the seed).",
            valueName: "/path"))
    var zkRoot: String?

    @Option(help: "ZooKeeper session timeout to ask for, in seconds.")
    var zkSessionTimeout: Double = 10

    @Option(help: ArgumentHelp("A fixed node list instead of ZooKeeper.", valueName: "host:port[,host:port...]"))
    var nodes: String?

    @Option(help: ArgumentHelp("Redis for call counts and fault keys.", valueName: "host:port"))
    var redis: String?

    @Flag(help: "Run without Redis (no cluster-wide counts, no fault keys).")
    var noRedis = false

    @Option(help: "The service to call.")
    var service: String = UserServiceRpc.name

    @Option(help: "The method to call.")
    var method: String = UserServiceRpc.login

    @Option(help: "Target call rate, calls per second (0 sends nothing until you press +).")
    var rate: Double = 50

    @Option(
        help: ArgumentHelp(
            "Load balancer: \(BalancerKind.allCases.map(\.name).joined(separator: ", ")).", valueName: "name"))
    var balancer: String = BalancerKind.roundRobin.name

    @Option(help: ArgumentHelp("Theme name (a file in themes/) or path to a .theme file.", valueName: "name|path"))
    var theme: String = "default"

    @Flag(help: "Draw with ASCII only (terminals without UTF-8).")
    var ascii = false

    @Option(help: ArgumentHelp("Where to write the log.", valueName: "path"))
    var logFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(help: "Draw nothing: run for --duration seconds, then print one JSON report and exit.")
    var once = false

    @Option(help: "Seconds to run with --once.")
    var duration: Double?

    @Flag(help: "With --once: the report is JSON (the only format; accepted for clarity).")
    var json = false

    @Option(help: "Milliseconds between two refreshes (snapshots and Redis reads).")
    var refreshMs: Int = 100

    @Option(
        help: ArgumentHelp(
            "Calls that fall due within this many milliseconds are sent together: fewer wake-ups, each call at most this late (the rate holds). 0 sends every call at its own time.",
            valueName: "ms"))
    var batchMs: Int = 100

    @Option(help: "Deadline of each call, in milliseconds.")
    var deadlineMs: Int = 1000

    @Option(help: "Send a backup attempt to a second node after this many milliseconds.")
    var hedgeDelayMs: Int = 50

    @Flag(help: "Do not hedge calls.")
    var noHedging = false

    @Flag(help: "Do not retry failed calls on another node.")
    var noFailover = false

    @Option(help: "Seconds a fault set with e, t or d lasts.")
    var faultTtl: Double = 60

    @Option(help: "The delay the d key injects, in milliseconds.")
    var delayMs: Int = 500

    func validate() throws {
        _ = try self.settings()
    }

    /// The options, checked and converted; errors name the option.
    func settings() throws -> TopSettings {
        /// An option in seconds: more than 0, at most a year (a huge value would overflow, not wait).
        func positive(_ value: Double, _ name: String) throws -> Duration {
            guard let duration = Duration(optionSeconds: value), duration > .zero else {
                throw ValidationError(
                    "\(name) must be a number of seconds > 0 and <= \(Int(Duration.longestOptionSeconds)), got \(value)")
            }
            return duration
        }
        let registry: RegistryHandle.Choice
        switch (self.zk, self.nodes) {
        case (nil, nil):
            throw ValidationError("give --zk HOST:PORT (ZooKeeper) or --nodes HOST:PORT,... (a fixed list)")
        case (.some, .some):
            throw ValidationError("--zk and --nodes exclude each other")
        case (let zk?, nil):
            let hosts = zk.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let entries = hosts.split(separator: ",", omittingEmptySubsequences: false)
            for entry in entries where NodeAddress(parsing: entry) == nil {
                throw ValidationError("--zk: '\(entry)' is not host:port (e.g. 127.0.0.1:2181)")
            }
            let root = self.zkRoot ?? ""
            if !root.isEmpty {
                guard root.hasPrefix("/"), !root.hasSuffix("/"), !root.contains("//") else {
                    throw ValidationError("--zk-root '\(root)' must be an absolute path like /krpc (no trailing slash)")
                }
            }
            registry = .zooKeeper(
                servers: zk, root: root, sessionTimeout: try positive(self.zkSessionTimeout, "--zk-session-timeout"))
        case (nil, let list?):
            if self.zkRoot != nil { throw ValidationError("--zk-root goes with --zk") }
            var addresses: [NodeAddress] = []
            for entry in list.split(separator: ",") {
                guard let address = NodeAddress(parsing: entry) else {
                    throw ValidationError("--nodes: '\(entry)' is not host:port (e.g. 127.0.0.1:8000)")
                }
                addresses.append(address)
            }
            guard !addresses.isEmpty else { throw ValidationError("--nodes needs at least one host:port") }
            registry = .fixed(addresses, ServiceKey(service: self.service, method: self.method))
        }
        switch (self.redis, self.noRedis) {
        case (nil, false): throw ValidationError("give --redis HOST:PORT, or --no-redis to run without it")
        case (.some, true): throw ValidationError("--redis and --no-redis exclude each other")
        case (let address?, false):
            guard NodeAddress(parsing: address) != nil else {
                throw ValidationError("--redis: '\(address)' is not host:port (e.g. 127.0.0.1:6379)")
            }
        case (nil, true): break
        }
        guard !self.service.isEmpty, !self.method.isEmpty else {
            throw ValidationError("--service and --method must not be empty")
        }
        guard self.rate == 0 || (LoadGenerator.rates).contains(self.rate) else {
            throw ValidationError(
                "--rate must be 0 or \(LoadGenerator.rates.lowerBound)...\(Int(LoadGenerator.rates.upperBound)) calls/s, got \(self.rate)")
        }
        guard let balancer = BalancerKind(name: self.balancer) else {
            let names = BalancerKind.allCases.map(\.name).joined(separator: ", ")
            throw ValidationError("--balancer: unknown '\(self.balancer)' (one of \(names))")
        }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if self.json && !self.once {
            throw ValidationError("--json goes with --once (the dashboard itself is not JSON)")
        }
        if self.duration != nil && !self.once { throw ValidationError("--duration goes with --once") }
        let duration = try positive(self.duration ?? 5, "--duration")
        guard (10...10_000).contains(self.refreshMs) else { throw ValidationError("--refresh-ms must be 10...10000") }
        guard (1...86_400_000).contains(self.deadlineMs) else { throw ValidationError("--deadline-ms must be 1...86400000 (a day)") }
        guard (1...86_400_000).contains(self.hedgeDelayMs) else {
            throw ValidationError("--hedge-delay-ms must be 1...86400000 (or use --no-hedging)")
        }
        let faultTTL = try positive(self.faultTtl, "--fault-ttl")
        guard (0...Fault.maximumDelayMilliseconds).contains(self.delayMs) else {
            throw ValidationError("--delay-ms must be 0...\(Fault.maximumDelayMilliseconds) (a day)")
        }
        guard (0...1000).contains(self.batchMs) else { throw ValidationError("--batch-ms must be 0...1000") }
        return TopSettings(
            registry: registry,
            redis: self.redis,
            service: self.service,
            method: self.method,
            rate: self.rate,
            balancer: balancer,
            refreshInterval: .milliseconds(self.refreshMs),
            batchInterval: .milliseconds(self.batchMs),
            deadline: .milliseconds(self.deadlineMs),
            hedgeDelay: self.noHedging ? nil : .milliseconds(self.hedgeDelayMs),
            failover: !self.noFailover,
            faultTTL: faultTTL,
            delayMilliseconds: self.delayMs,
            duration: duration
        )
    }

    func run() async throws {
        let settings = try self.settings()
        let environment = ProcessInfo.processInfo.environment
        let logPath = self.logFile ?? LogFile.defaultPath(environment: environment)
        let logFile = try LogFile(path: logPath)
        let level = Logger.Level(rawValue: self.logLevel) ?? .info
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, file: logFile, level: level) }
        let logger = Logger(label: "krpc.top")
        logger.info(
            "starting",
            metadata: [
                "top.pid": "\(getpid())", "top.key": "\(settings.service).\(settings.method)",
                "top.rate": "\(settings.rate)", "top.mode": "\(self.once ? "once" : "dashboard")",
            ])
        let stack = try TopStack(settings: settings, logger: logger)
        if self.once {
            try await self.runOnce(stack, settings: settings, logger: logger)
        } else {
            try await self.runDashboard(
                stack, settings: settings, environment: environment, logFile: logFile,
                logger: logger)
        }
    }

    // MARK: --once

    private func runOnce(_ stack: TopStack, settings: TopSettings, logger: Logger) async throws {
        let report = await stack.run(deliver: { _ in }) { () -> String? in
            try? await Task.sleep(for: settings.duration)
            await stack.poller?.pollOnce()  // the freshest counts and faults for the report
            return try? TopReport(stack.collector.makeSnapshot()).json()
        }
        guard let report else { throw TopError("could not encode the report") }
        print(report)
        logger.info("report printed")
    }

    // MARK: Dashboard

    private func runDashboard(
        _ stack: TopStack, settings: TopSettings, environment: [String: String], logFile: LogFile, logger: Logger
    ) async throws {
        let themesDirectory = ThemeLocator.themesDirectory(environment: environment)
        let loaded: ThemeParseResult
        do {
            loaded = try ThemeLoader.load(self.theme, themesDirectory: themesDirectory)
        } catch {
            throw TopError("--theme: \(error)")
        }
        for warning in loaded.warnings {
            logger.warning("theme warning", metadata: ["top.theme": "\(self.theme)", "top.warning": "\(warning)"])
        }
        var view = ViewConfiguration()
        view.faultTTL = settings.faultTTL
        view.delayMilliseconds = settings.delayMilliseconds
        view.balancers = BalancerKind.allCases.map(\.name)
        view.themes = ThemeLocator.themeNames(in: themesDirectory)
        if !view.rateSteps.contains(settings.rate) && settings.rate > 0 {
            view.rateSteps = (view.rateSteps + [settings.rate]).sorted()
        }
        let ui = DashboardUI(
            settings: DashboardUI.Settings(
                view: view, theme: loaded.theme, themeName: loaded.theme.name, themesDirectory: themesDirectory,
                ascii: self.ascii || !Self.localeIsUTF8(), environment: environment),
            mailbox: UIMailbox(), channel: stack.channel, load: stack.load, injector: stack.injector, logger: logger)

        TerminalGuard.installQuitHandlers()
        TerminalGuard.arm(logDescriptor: logFile.descriptor, logPath: logFile.path)
        let mailbox = ui.mailbox
        TerminalGuard.wakeDescriptor.store(mailbox.wakeWriteDescriptor, ordering: .relaxed)
        defer { TerminalGuard.wakeDescriptor.store(-1, ordering: .relaxed) }
        let outcome = await stack.run(deliver: { mailbox.post($0) }) {
            await withCheckedContinuation { (continuation: CheckedContinuation<DashboardUI.Outcome, Never>) in
                let thread = Thread {
                    let outcome = ui.run()
                    // Bound the shutdown: a hung connection must not keep a quit user waiting.
                    Self.startShutdownWatchdog(status: Self.exitStatus(outcome))
                    continuation.resume(returning: outcome)
                }
                thread.name = "krpc-top-ui"
                thread.stackSize = 8 << 20
                thread.start()
            }
        }
        TerminalGuard.disarm()
        logger.info("dashboard closed", metadata: ["top.outcome": "\(outcome)"])
        if case .failed(let message) = outcome {
            throw TopError(message)
        }
        let status = Self.exitStatus(outcome)
        if status != 0 { throw ExitCode(status) }
    }

    static func exitStatus(_ outcome: DashboardUI.Outcome) -> Int32 {
        switch outcome {
        case .quit: 0
        case .signal(let sig): sig == SIGINT ? 0 : 128 + sig
        case .aborted, .failed: 1
        }
    }

    /// Exits the process if the shutdown after the UI has closed takes longer than 3 s.
    static func startShutdownWatchdog(status: Int32) {
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 3)
            TerminalGuard.disarm()
            Glibc.exit(status)
        }
        watchdog.name = "krpc-top-shutdown-watchdog"
        watchdog.start()
    }

    /// Whether the locale (from the environment) encodes text as UTF-8; if not, draw ASCII.
    static func localeIsUTF8() -> Bool {
        setlocale(LC_ALL, "")
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        return String(cString: codeset).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
    }
}

/// The command line, checked and converted.
struct TopSettings: Sendable {
    var registry: RegistryHandle.Choice
    var redis: String?
    var service: String
    var method: String
    var rate: Double
    var balancer: BalancerKind
    var refreshInterval: Duration
    /// The load generator's shortest time between wake-ups (calls due in between go together).
    var batchInterval: Duration
    var deadline: Duration
    var hedgeDelay: Duration?
    var failover: Bool
    var faultTTL: Duration
    var delayMilliseconds: Int
    var duration: Duration
}
