import Foundation
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCTopCollect
import KRPCTopCore
import KRPCTopTerminal
import Logging

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The UI loop: the only code that touches curses, run on one dedicated thread (btop's and bottom's loop).
///
/// Each turn: sleep in `poll` until a key arrives, the mailbox is posted to (a snapshot, an effect's outcome) or
/// ``idleWakeMilliseconds`` pass; read every key, take the mailbox, tick the clock, feed all of it as
/// ``TopEvent``s to ``ViewState/apply(_:)``, execute the returned ``Effect``s, and redraw if anything changed.
struct DashboardUI: Sendable {
    /// How the UI ended.
    enum Outcome: Sendable {
        /// `q` or Ctrl-C typed as a key.
        case quit
        /// A quit signal (SIGINT, SIGTERM, …).
        case signal(Int32)
        /// The mailbox asked to quit (a fatal error elsewhere, already logged).
        case aborted
        /// The terminal could not be set up.
        case failed(String)
    }

    /// What the UI needs at start.
    struct Settings: Sendable {
        var view: ViewConfiguration
        var theme: Theme
        var themeName: String
        var themesDirectory: String?
        var ascii: Bool
        var environment: [String: String]
        /// The screen at start: the services view, or a method's nodes (`--service`/`--method`).
        var screen: ViewState.Screen
    }

    /// The longest the UI sleeps without input or mail (status messages expire, resizes are noticed).
    static let idleWakeMilliseconds: Int32 = 250

    let settings: Settings
    let mailbox: UIMailbox
    /// The collection side: the current method's stack (load, channel), the fault injector, the detail reader.
    let session: TopSession
    let logger: Logger

    /// Runs on the calling thread until quit; the terminal is restored when it returns.
    func run() -> Outcome {
        Self.nameThisThread("krpc-top-ui")
        TerminalGuard.unblockSignalsOnThisThread()
        let noColor = ColorDepth.noColorRequested(environment: self.settings.environment)
        let screen: NCursesScreen
        do {
            screen = try NCursesScreen(colors: !noColor)
        } catch {
            return .failed(error.message)
        }
        defer { screen.close() }

        let depth = ColorDepth.detect(
            environment: self.settings.environment,
            terminalColors: screen.colorDepth.rawValue)
        var palette = TerminalPalette(theme: self.settings.theme, depth: depth)
        let options = RenderOptions(ascii: self.settings.ascii)
        var view = ViewState(
            configuration: self.settings.view, size: Self.size(of: screen),
            themeName: self.settings.themeName, screen: self.settings.screen)
        self.logger.info(
            "dashboard up",
            metadata: [
                "top.size": "\(view.size)", "top.color_depth": "\(palette.depth)", "top.ascii": "\(options.ascii)",
            ])
        let clock = ContinuousClock()
        let start = clock.now
        var dirty = true
        var servicesOnScreen: Bool?

        while true {
            if !dirty { self.waitForInput(terminal: 0, timeoutMilliseconds: Self.idleWakeMilliseconds) }
            let signal = TerminalGuard.requestedSignal.load(ordering: .relaxed)
            if signal != 0 { return .signal(signal) }

            // Every key ncurses has (it may have read several at once), so the next poll starts from an empty queue.
            var keys: [TerminalKey] = []
            while keys.count < 64, let key = screen.readKey(timeoutMilliseconds: 0) { keys.append(key) }
            if keys.count == 64 { dirty = true }  // more to read: do not wait in poll before reading them
            var effects: [Effect] = []
            for key in keys {
                switch key {
                case .resize:
                    effects += view.apply(.resize(Self.size(of: screen)))
                    dirty = true
                case .mouseClick(let row, let column):
                    effects += view.apply(.mouse(.click(row: row, column: column)))
                    dirty = true
                default:
                    if let key = Self.topKey(key) {
                        effects += view.apply(.key(key))
                        dirty = true
                    }
                }
            }
            let mail = self.mailbox.take()
            if mail.quit { return .aborted }
            if let snapshot = mail.snapshot {
                effects += view.apply(.snapshot(snapshot))
                dirty = true
            }
            for (severity, text) in mail.messages {
                effects += view.apply(.message(severity, text))
                dirty = true
            }
            let message = view.statusMessage
            effects += view.apply(.tick(clock.now - start))
            if view.statusMessage != message { dirty = true }

            for effect in effects {
                switch effect {
                case .quit:
                    return .quit
                case .setTheme(let name):
                    if let theme = self.loadTheme(name) {
                        palette = TerminalPalette(theme: theme, depth: depth)
                        dirty = true
                    }
                default:
                    self.execute(effect)
                }
            }
            // The registry's tree is listed every second only while someone looks at it.
            let showsServices = view.screen == .services
            if servicesOnScreen != showsServices {
                servicesOnScreen = showsServices
                self.session.services.setOnScreen(showsServices)
            }
            if dirty {
                let buffer = Renderer.render(view, options: options)
                screen.present(buffer.terminalRows(palette: palette))
                dirty = false
            }
        }
    }

    /// Names the calling thread for top, ps and perf: Foundation's `Thread.name` does not reach the OS thread name
    /// on Linux, and `pthread_setname_np` is not visible to Swift without `_GNU_SOURCE`.
    private static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        _ = name.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Sleeps until the terminal has input, the mailbox was posted to, a signal arrived, or the timeout passed.
    private func waitForInput(terminal: Int32, timeoutMilliseconds: Int32) {
        var fds = [
            pollfd(fd: terminal, events: Int16(POLLIN), revents: 0),
            pollfd(fd: self.mailbox.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
    }

    // MARK: Effects

    private func execute(_ effect: Effect) {
        switch effect {
        case .quit, .setTheme:
            break  // handled by the loop
        case .setRate(let rate):
            self.session.current?.load.setRate(rate)
        case .setPaused(let paused):
            self.session.current?.load.setPaused(paused)
        case .openMethod(let service, let method):
            self.session.select(ServiceKey(service: service, method: method))
        case .watchDetail(let address):
            self.session.watchDetail(address)
        case .setBalancer(let name):
            guard let kind = BalancerKind(name: name) else {
                self.mailbox.post(.error, "unknown balancer '\(name)'")
                return
            }
            self.session.current?.channel.setBalancer(kind)
            self.logger.info("balancer changed", metadata: ["top.balancer": "\(kind)"])
        case .setFault(let node, let value, let ttl):
            guard let injector = self.session.injector else {
                self.mailbox.post(.warning, "fault keys need Redis: krpc-top runs without --redis")
                return
            }
            let (mailbox, logger) = (self.mailbox, self.logger)
            Task {
                do {
                    try await injector.setRaw(value, on: node, for: ttl)
                    logger.info("fault set", metadata: ["krpc.node": "\(node)", "krpc.fault": "\(value)"])
                } catch {
                    logger.warning("fault not set", metadata: ["krpc.node": "\(node)", "error": "\(error)"])
                    mailbox.post(.error, "could not set the fault on \(node): \(error)")
                }
            }
        case .partition(let node), .heal(let node):
            let partition = if case .partition = effect { true } else { false }
            guard let directory = self.session.settings.demoCluster, let host = self.session.settings.clientHost
            else {
                self.mailbox.post(.warning, "partition and heal need the demo's hosts mode (demo-cluster/run --hosts)")
                return
            }
            let (mailbox, logger) = (self.mailbox, self.logger)
            let fault = DemoNetworkFault(directory: directory, host: host)
            let action: DemoNetworkFault.Action = partition ? .partition : .heal
            fault.start(action, node: node) { outcome in
                let metadata: Logger.Metadata = [
                    "krpc.node": "\(node)", "top.action": "\(action.rawValue)", "top.host": "\(host)",
                    "top.status": "\(outcome.status.map(String.init) ?? "not started")",
                    "top.output": "\(outcome.message)",
                ]
                if outcome.status == 0 {
                    logger.info("network fault done", metadata: metadata)
                    mailbox.post(.info, outcome.message)
                } else {
                    logger.warning("network fault failed", metadata: metadata)
                    mailbox.post(.error, "\(action.rawValue) \(node) failed: \(outcome.message)")
                }
            }
        case .clearFault(let node):
            guard let injector = self.session.injector else {
                self.mailbox.post(.warning, "fault keys need Redis: krpc-top runs without --redis")
                return
            }
            let (mailbox, logger) = (self.mailbox, self.logger)
            Task {
                do {
                    try await injector.clear(node)
                    logger.info("fault cleared", metadata: ["krpc.node": "\(node)"])
                } catch {
                    logger.warning("fault not cleared", metadata: ["krpc.node": "\(node)", "error": "\(error)"])
                    mailbox.post(.error, "could not clear the fault on \(node): \(error)")
                }
            }
        }
    }

    private func loadTheme(_ name: String) -> Theme? {
        do {
            let result = try ThemeLoader.load(name, themesDirectory: self.settings.themesDirectory)
            for warning in result.warnings {
                self.logger.warning("theme warning", metadata: ["top.theme": "\(name)", "top.warning": "\(warning)"])
            }
            if !result.warnings.isEmpty {
                self.mailbox.post(.warning, "theme \(name): \(result.warnings.count) warning(s), see the log")
            }
            return result.theme
        } catch {
            self.logger.warning("theme not loaded", metadata: ["top.theme": "\(name)", "error": "\(error)"])
            self.mailbox.post(.error, error.description)
            return nil
        }
    }

    // MARK: Terminal input

    static func size(of screen: NCursesScreen) -> ScreenSize {
        let (rows, columns) = screen.size
        return ScreenSize(width: columns, height: rows)
    }

    /// The dashboard's key for a terminal key; `nil` for keys the dashboard does not use.
    static func topKey(_ key: TerminalKey) -> Key? {
        switch key {
        case .character(let c):
            if let ascii = c.asciiValue, ascii < 32 {
                // Control characters: ^A…^Z arrive as 1…26 (^C only when the terminal does not make it SIGINT).
                guard (1...26).contains(ascii) else { return ascii == 27 ? .escape : nil }
                return .control(Character(Unicode.Scalar(ascii + 96)))
            }
            return .character(c)
        case .up: return .up
        case .down: return .down
        case .left: return .left
        case .right: return .right
        case .pageUp: return .pageUp
        case .pageDown: return .pageDown
        case .home: return .home
        case .end: return .end
        case .enter: return .enter
        case .backspace, .delete: return .backspace
        case .escape: return .escape
        case .tab: return .tab
        case .backTab, .resize, .mouseClick, .function, .other: return nil
        }
    }
}
