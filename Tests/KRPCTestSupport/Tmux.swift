import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Drives a terminal program in a private tmux server, as a person would: type keys, read the screen.
///
/// Each instance has its own server socket in a temp directory (never the user's default server),
/// removed by ``kill()``. The program runs with `LANG=C.UTF-8` so the screen is drawn in UTF-8.
public final class TmuxSession: Sendable {
    public let socketPath: String
    private let directory: String
    private let name = "t"

    /// Starts `command` (argv) in a new detached session of `columns`×`rows`.
    public init(command: [String], columns: Int = 120, rows: Int = 40, environment: [String: String] = [:]) throws {
        self.directory = NSTemporaryDirectory() + "krpc-tmux-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.socketPath = self.directory + "/tmux.sock"
        var env = ["LANG": "C.UTF-8"]
        for (k, v) in environment { env[k] = v }
        let envArgs = env.sorted { $0.key < $1.key }.flatMap { ["-e", "\($0.key)=\($0.value)"] }
        let quoted = command.map(Self.shellQuote).joined(separator: " ")
        _ = try self.tmux(
            ["new-session", "-d", "-s", self.name, "-x", "\(columns)", "-y", "\(rows)"] + envArgs + [quoted]
        )
        _ = try self.tmux(["set-option", "-t", self.name, "remain-on-exit", "on"])
    }

    /// The visible screen, one string per row (trailing blanks trimmed by tmux).
    public func capture() throws -> [String] {
        let out = try self.tmux(["capture-pane", "-p", "-t", self.name])
        return out.components(separatedBy: "\n")
    }

    /// The visible screen as one string.
    public func screen() throws -> String { try self.capture().joined(separator: "\n") }

    /// Sends keys in tmux's notation (`q`, `Up`, `C-c`, `Enter`, or literal text).
    public func send(_ keys: String...) throws {
        _ = try self.tmux(["send-keys", "-t", self.name] + keys)
    }

    /// Resizes the window (the program gets SIGWINCH).
    public func resize(columns: Int, rows: Int) throws {
        _ = try self.tmux(["resize-window", "-t", self.name, "-x", "\(columns)", "-y", "\(rows)"])
    }

    /// The exit status once the program has exited and tmux has reaped it (128 + N if signal N killed it), else nil.
    public func paneExit() throws -> Int32? {
        let format = "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}|#{pid}"
        let out = try self.tmux(["display", "-p", "-t", self.name, format])
        let parts = out.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "|", omittingEmptySubsequences: false)
        guard parts.first == "1" else { return nil }
        if parts.count > 1, let status = Int32(parts[1]) { return status }
        // Killed by a signal: the shell's convention, 128 + the signal's number.
        if parts.count > 2, let signal = Int32(parts[2]) { return 128 + signal }
        // The terminal closed but tmux has not reaped the process. Debian's tmux is built with libutempter, whose
        // helper briefly installs its own SIGCHLD handler when the pane closes; a program that exits in that
        // window leaves a zombie tmux never hears of (tmux/tmux#311, #4559). Another SIGCHLD makes it reap.
        if parts.count > 3, let serverPID = Int32(parts[3]) { _ = Glibc.kill(serverPID, SIGCHLD) }
        return nil
    }

    /// Waits until the screen satisfies `condition`; returns that screen, whole.
    ///
    /// A capture can catch the program mid-frame: ncurses writes a frame in several `write`s, tmux applies each as
    /// it arrives, and the rows not yet redrawn still show the previous frame (a node detail's top above the node
    /// table's event log). So a screen that satisfies `condition` counts only when the capture right after it is
    /// the same, i.e. no frame was being drawn; otherwise the wait goes on.
    /// - Throws: ``WaitTimeout`` with the last screen in the message.
    @discardableResult
    public func waitForScreen(
        _ what: String,
        timeout: Duration = .seconds(10),
        _ condition: (String) -> Bool
    ) async throws -> String {
        var last = ""
        do {
            try await waitUntil(what, timeout: timeout, pollEvery: .milliseconds(50)) {
                last = (try? self.screen()) ?? ""
                guard condition(last) else { return false }
                let again = (try? self.screen()) ?? ""
                let settled = again == last
                last = again
                return settled
            }
        } catch let timeout as WaitTimeout {
            throw WaitTimeout(what: "\(timeout.what); screen was:\n\(last)", timeout: timeout.timeout)
        }
        return last
    }

    /// Stops the tmux server and removes its socket directory.
    public func kill() {
        _ = try? self.tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    deinit { self.kill() }

    @discardableResult
    private func tmux(_ args: [String]) throws -> String {
        let outPath = self.directory + "/out-\(UUID().uuidString.prefix(8))"
        let p = try ChildProcess("tmux", ["-S", self.socketPath] + args, logPath: outPath)
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let deadline = ContinuousClock.now + .seconds(10)
        while p.isRunning {
            guard ContinuousClock.now < deadline else {
                p.terminate(grace: .milliseconds(100))
                throw TestEnvironmentError(message: "tmux \(args.first ?? "") did not finish in 10 s")
            }
            usleep(2_000)
        }
        let out = p.log()
        guard p.exitCode == 0 else {
            throw TestEnvironmentError(message: "tmux \(args.joined(separator: " ")) failed: \(out)")
        }
        return out.hasSuffix("\n") ? String(out.dropLast()) : out
    }

    private static func shellQuote(_ s: String) -> String {
        if s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=,".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
