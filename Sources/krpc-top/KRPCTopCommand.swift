import ArgumentParser
import Foundation
import KRPC
import KRPCPolicy
import KRPCTopCollect
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
            as this client sees it. Without --service and --method it opens on the services view (every \
            method of the registry): Enter calls the selected one and shows its nodes, Enter on a node shows \
            its detail, Esc or ← goes back. Keys: ↑/↓ or j/k select, e t d c set error / timeout / delay / clear \
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

    @Option(
        help: ArgumentHelp(
            "The service to call. Without --service and --method the dashboard opens on the services view "
                + "(every method of the registry); --once calls \(UserServiceRpc.name).\(UserServiceRpc.login).",
            valueName: "name"))
    var service: String?

    @Option(help: ArgumentHelp("The method to call (see --service).", valueName: "name"))
    var method: String?

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

    @Option(help: "Seconds of the sliding window every rate, error percentage and percentile is over.")
    var window: Double = 10

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

    @Flag(help: "Do not publish this client's view of the nodes to Redis (krpc:view:*; the FLEET column stays).")
    var noFleetView = false

    @Option(help: ArgumentHelp("The host this client publishes its fleet view under (default: the host name).",
                               valueName: "name"))
    var clientHost: String?

    @Option(
        help: ArgumentHelp(
            "Serve this client's Prometheus metrics at http://127.0.0.1:PORT/metrics (0 picks a free port; the "
                + "address is printed on stderr).",
            valueName: "port"))
    var metricsPort: Int?
    @Option(help: ArgumentHelp("The demo-cluster folder, when krpc-top runs on a demo client host (demo-cluster/run "
                               + "--hosts passes it, with --client-host): p and h partition and heal the selected "
                               + "node.", valueName: "dir"))
    var demoCluster: String?

    func validate() throws {
        _ = try self.settings()
    }

    /// The options, checked and converted (by ``TopSettings/init(options:)``); errors name the option.
    func settings() throws -> TopSettings {
        var o = TopOptions()
        o.zk = self.zk
        o.zkRoot = self.zkRoot
        o.zkSessionTimeout = self.zkSessionTimeout
        o.nodes = self.nodes
        o.redis = self.redis
        o.noRedis = self.noRedis
        o.service = self.service ?? UserServiceRpc.name
        o.method = self.method ?? UserServiceRpc.login
        o.rate = self.rate
        o.balancer = self.balancer
        o.logLevel = self.logLevel
        o.once = self.once
        o.duration = self.duration
        o.json = self.json
        o.window = self.window
        o.refreshMs = self.refreshMs
        o.batchMs = self.batchMs
        o.deadlineMs = self.deadlineMs
        o.hedgeDelayMs = self.hedgeDelayMs
        o.noHedging = self.noHedging
        o.noFailover = self.noFailover
        o.faultTtl = self.faultTtl
        o.delayMs = self.delayMs
        o.noFleetView = self.noFleetView
        o.clientHost = self.clientHost
        o.metricsPort = self.metricsPort
        o.demoCluster = self.demoCluster
        do {
            return try TopSettings(options: o)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        // --once's clock starts here: --duration and its 0.5 s of slack count from the process's first step.
        let started = ContinuousClock.now
        let settings = try self.settings()
        let environment = ProcessInfo.processInfo.environment
        let logPath = self.logFile ?? LogFile.defaultPath(environment: environment)
        let logFile = try LogFile(path: logPath)
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, file: logFile, level: level) }
        let logger = Logger(label: "krpc.top")
        logger.info(
            "starting",
            metadata: [
                "top.pid": "\(getpid())", "top.key": "\(settings.service).\(settings.method)",
                "top.rate": "\(settings.rate)", "top.mode": "\(self.once ? "once" : "dashboard")",
            ])
        // Before the session: its channels' metrics are made in the registry this bootstraps.
        var metrics: TopMetricsEndpoint?
        if let port = settings.metricsPort {
            metrics = try await TopMetricsEndpoint.start(port: port, logger: logger)
        }
        // The services view first, unless a method was named (or --once, which reports on one method).
        let servicesFirst = !self.once && self.service == nil && self.method == nil
        let session = try TopSession(
            settings: settings,
            initialKey: servicesFirst ? nil : ServiceKey(service: settings.service, method: settings.method),
            logger: logger)
        if self.once {
            try await self.runOnce(session, settings: settings, started: started, logger: logger)
        } else {
            try await self.runDashboard(
                session, servicesFirst: servicesFirst, settings: settings, environment: environment,
                logFile: logFile, logger: logger)
        }
        await metrics?.stop()
    }

    // MARK: --once

    /// Runs for `--duration`, then prints the report; a quit signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) ends the
    /// wait early and prints the report so far. Either way krpc-top exits within `--duration` + 0.5 s: the last
    /// Redis read is bounded, the report is printed before the stack shuts down, and a watchdog ends a shutdown
    /// that hangs (a ZooKeeper or Redis that never answers).
    private func runOnce(
        _ session: TopSession, settings: TopSettings, started start: ContinuousClock.Instant, logger: Logger
    ) async throws {
        let signals = QuitSignalWaiter.start()
        logger.info("running until the report", metadata: ["top.duration": "\(settings.duration)"])
        // Snapshots are built every refresh even though none is shown: building one hands the Redis poller the
        // channel's nodes, whose counts and fault keys it then reads.
        let signal = await session.run(deliver: { _ in }) { () -> Int32 in
            let signal = await Self.firstOf(
                { try? await Task.sleep(until: start + settings.duration, clock: .continuous); return Int32(0) },
                { await signals.wait() })
            if signal == 0, let poller = session.current?.poller {
                // The freshest counts and faults for the report, if Redis answers in time.
                _ = await Self.firstOf(
                    { await poller.pollOnce(); return true },
                    { try? await Task.sleep(for: .milliseconds(200)); return false })
            }
            let report = (try? TopReport(session.makeReportSnapshot()).json()) ?? "{}"
            print(report)
            fflush(nil)
            logger.info("report printed", metadata: ["top.signal": "\(signal)"])
            let status: Int32 = signal == 0 || signal == SIGINT ? 0 : 128 + signal
            let budget = max(.milliseconds(50), start + settings.duration + .milliseconds(400) - ContinuousClock.now)
            Self.startShutdownWatchdog(status: status, after: budget)
            return signal
        }
        if signal != 0 && signal != SIGINT { throw ExitCode(128 + signal) }
    }

    /// The first of two operations to finish; the other keeps running unobserved (both must be harmless to
    /// leave: a sleep, a read whose result is folded in whenever it comes).
    static func firstOf<T: Sendable>(
        _ a: @escaping @Sendable () async -> T, _ b: @escaping @Sendable () async -> T
    ) async -> T {
        let (stream, continuation) = AsyncStream.makeStream(of: T.self, bufferingPolicy: .bufferingOldest(1))
        let first = Task {
            continuation.yield(await a())
        }
        let second = Task {
            continuation.yield(await b())
        }
        var iterator = stream.makeAsyncIterator()
        let result = await iterator.next()
        first.cancel()
        second.cancel()
        continuation.finish()
        // Both yield before they end, so a value always comes; `a` again is a safe fallback for the compiler.
        if let result { return result }
        return await a()
    }

    // MARK: Dashboard

    private func runDashboard(
        _ session: TopSession, servicesFirst: Bool, settings: TopSettings, environment: [String: String],
        logFile: LogFile, logger: Logger
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
        view.partitionHost = settings.demoCluster == nil ? nil : settings.clientHost
        view.themes = ThemeLocator.themeNames(in: themesDirectory)
        if !view.rateSteps.contains(settings.rate) && settings.rate > 0 {
            view.rateSteps = (view.rateSteps + [settings.rate]).sorted()
        }
        let ui = DashboardUI(
            settings: DashboardUI.Settings(
                view: view, theme: loaded.theme, themeName: loaded.theme.name, themesDirectory: themesDirectory,
                ascii: self.ascii || !Self.localeIsUTF8(), environment: environment,
                screen: servicesFirst ? .services : .nodes),
            mailbox: UIMailbox(), session: session, logger: logger)

        TerminalGuard.installQuitHandlers()
        TerminalGuard.arm(logDescriptor: logFile.descriptor, logPath: logFile.path)
        let mailbox = ui.mailbox
        TerminalGuard.wakeDescriptor.store(mailbox.wakeWriteDescriptor, ordering: .relaxed)
        defer { TerminalGuard.wakeDescriptor.store(-1, ordering: .relaxed) }
        let outcome = await session.run(deliver: { mailbox.post($0) }) {
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

    /// Exits the process if the shutdown after the UI has closed (or the report was printed) takes longer than
    /// `after` (default 3 s).
    static func startShutdownWatchdog(status: Int32, after: Duration = .seconds(3)) {
        let seconds = Double(after.components.seconds) + Double(after.components.attoseconds) / 1e18
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: seconds)
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
