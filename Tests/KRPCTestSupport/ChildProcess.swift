import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests: spawned with an empty signal mask and default signal handlers.
///
/// `Foundation.Process` started from a Swift concurrency or Dispatch thread hands the child that
/// thread's signal mask (nearly everything blocked), so `terminate()` is silently ignored and the
/// test hangs (PLATFORM.md §7). `posix_spawn` with `POSIX_SPAWN_SETSIGMASK|SETSIGDEF` avoids that.
/// The child gets its own process group, so ``terminate()`` reaches its children too.
public final class ChildProcess: Sendable {
    public let pid: Int32
    /// Where its stdout and stderr go.
    public let logPath: String
    private let exitStatus = SendableBox<Int32?>(nil)

    /// Spawns `executable` (a path, or a name looked up in PATH) with `arguments`.
    /// - Parameters:
    ///   - environment: extra variables, added to this process's environment.
    ///   - logPath: file for stdout+stderr (appended); defaults to a temp file.
    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        logPath: String? = nil
    ) throws {
        let log = logPath ?? NSTemporaryDirectory() + "krpc-child-\(UUID().uuidString).log"
        self.logPath = log

        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(
            &attr,
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        )

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &fileActions, &attr, argv, envp)
        guard rc == 0 else {
            throw TestEnvironmentError(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    /// Whether the process has not exited yet (reaps it if it has).
    public var isRunning: Bool {
        if self.exitStatus.value != nil { return false }
        var status: Int32 = 0
        let rc = waitpid(self.pid, &status, WNOHANG)
        if rc == self.pid {
            self.exitStatus.value = status
            return false
        }
        return rc == 0
    }

    /// The exit code once it has exited normally, else nil.
    public var exitCode: Int32? {
        _ = self.isRunning
        guard let s = self.exitStatus.value, s & 0x7f == 0 else { return nil }
        return (s >> 8) & 0xff
    }

    /// Sends `signal` to the process group.
    public func signal(_ signal: Int32) {
        if self.isRunning { Glibc.kill(-self.pid, signal) }
    }

    /// SIGTERM, then waits up to `grace` for exit, then SIGKILL. Returns once it has exited.
    public func terminate(grace: Duration = .seconds(5)) {
        guard self.isRunning else { return }
        self.signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while self.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if self.isRunning {
            self.signal(SIGKILL)
            while self.isRunning { usleep(10_000) }
        }
    }

    /// SIGKILL to the process group, then reaps it: immediate.
    public func kill() {
        guard self.isRunning else { return }
        self.signal(SIGKILL)
        var status: Int32 = 0
        if waitpid(self.pid, &status, 0) == self.pid { self.exitStatus.value = status }
    }

    /// SIGTERM, then waits (sleeping, never blocking a thread) up to `grace` for exit, then SIGKILL.
    /// Prefer it to ``terminate(grace:)`` in async code: the concurrency pool has 2 threads here.
    public func stop(grace: Duration = .seconds(5)) async {
        guard self.isRunning else { return }
        self.signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while self.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        self.kill()
    }

    /// Waits (polling, non-blocking for the pool) until the process exits or `timeout` passes.
    /// - Returns: whether it exited.
    public func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The log written so far.
    public func log() -> String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }

    deinit {
        // A test that forgot to stop its child must not leave it running.
        if self.exitStatus.value == nil {
            var status: Int32 = 0
            if waitpid(self.pid, &status, WNOHANG) == 0 {
                Glibc.kill(-self.pid, SIGKILL)
                waitpid(self.pid, &status, 0)
            }
        }
    }
}

/// A value behind a lock.
// @unchecked Sendable: every access to `_value` goes through `lock`.
final class SendableBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { self._value = value }
    var value: T {
        get { self.lock.withLock { self._value } }
        set { self.lock.withLock { self._value = newValue } }
    }
}
