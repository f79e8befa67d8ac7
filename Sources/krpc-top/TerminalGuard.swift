import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Keeps the terminal usable whatever happens while curses is up.
///
/// - SIGINT, SIGTERM, SIGHUP and SIGQUIT only set a flag (``requestedSignal``) and wake the UI thread
///   (``wakeDescriptor``), which leaves curses properly; then krpc-top exits.
/// - Crash signals (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT: a Swift trap or a C library fault) put the
///   terminal back by hand (saved termios, leave the alternate screen, show the cursor, stop mouse reporting),
///   say where the log is on the real stderr, then hand the signal to whoever handled it before (Swift's
///   backtracer writes to the log file) or to the default action.
/// - While curses is up, stderr (fd 2) points at the log file, so nothing (the ZooKeeper C client, the Swift
///   runtime, a stray print to stderr) can draw over the screen.
///
/// Everything the crash handler touches is prepared before it can run and is only read there: it calls only
/// async-signal-safe functions (`tcsetattr`, `write`, `sigaction`, `raise`).
enum TerminalGuard {
    /// The signal that asked krpc-top to quit, or 0.
    static let requestedSignal = Atomic<Int32>(0)
    /// A pipe the quit handler writes a byte to, so the UI thread wakes from `poll` at once; -1 for none.
    static let wakeDescriptor = Atomic<Int32>(-1)

    private static let quitSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    private static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// Installs the quit handlers (before curses starts, so ncurses keeps its hands off them) and ignores SIGPIPE.
    static func installQuitHandlers() {
        signal(SIGPIPE, SIG_IGN)
        for sig in Self.quitSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                TerminalGuard.requestedSignal.store(sig, ordering: .relaxed)
                let fd = TerminalGuard.wakeDescriptor.load(ordering: .relaxed)
                if fd >= 0 {
                    var byte: UInt8 = 1
                    _ = write(fd, &byte, 1)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: interrupt the key poll so the UI notices at once
            sigaction(sig, &action, nil)
        }
    }

    /// Unblocks the quit signals and SIGWINCH on the calling thread (threads started from the Swift concurrency
    /// pool inherit a mask that blocks nearly everything).
    static func unblockSignalsOnThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in Self.quitSignals + [SIGWINCH] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Saves the terminal's settings and points stderr at `logDescriptor`; arms the crash handlers.
    /// Call before curses starts.
    static func arm(logDescriptor: Int32, logPath: String) {
        CrashState.hasTermios = tcgetattr(0, &CrashState.termios) == 0
        CrashState.originalStderr = dup(2)
        _ = fcntl(CrashState.originalStderr, F_SETFD, FD_CLOEXEC)
        dup2(logDescriptor, 2)
        CrashState.message = Array("krpc-top: crashed; the terminal was restored. Details in \(logPath)\n".utf8)
        CrashState.reset = Array("\u{1b}[0m\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1006l\u{1b}[?25h\u{1b}[?1049l\r\n".utf8)
        for (index, sig) in Self.crashSignals.enumerated() {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in TerminalGuard.crashed(sig) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(bitPattern: UInt32(truncatingIfNeeded: SA_RESETHAND))
            sigaction(sig, &action, &CrashState.previous[index])
        }
        CrashState.armed = true
    }

    /// Restores stderr and the previous crash handlers. Call after curses has ended.
    static func disarm() {
        guard CrashState.armed else { return }
        for (index, sig) in Self.crashSignals.enumerated() {
            sigaction(sig, &CrashState.previous[index], nil)
        }
        CrashState.armed = false
        if CrashState.originalStderr >= 0 {
            dup2(CrashState.originalStderr, 2)
            close(CrashState.originalStderr)
            CrashState.originalStderr = -1
        }
    }

    private static func crashed(_ sig: Int32) {
        if CrashState.hasTermios { tcsetattr(0, TCSANOW, &CrashState.termios) }
        CrashState.reset.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
        if CrashState.originalStderr >= 0 {
            CrashState.message.withUnsafeBytes { _ = write(CrashState.originalStderr, $0.baseAddress, $0.count) }
        }
        if let index = Self.crashSignals.firstIndex(of: sig) {
            sigaction(sig, &CrashState.previous[index], nil)
        }
        raise(sig)
    }
}

/// What the crash handler needs, prepared in advance (see ``TerminalGuard``).
///
/// `nonisolated(unsafe)`: written only by ``TerminalGuard/arm(logDescriptor:logPath:)`` and
/// ``TerminalGuard/disarm()`` on the main path before curses starts and after it ends, read by the crash
/// handler, which cannot take locks.
private enum CrashState {
    nonisolated(unsafe) static var termios = Glibc.termios()
    nonisolated(unsafe) static var hasTermios = false
    nonisolated(unsafe) static var originalStderr: Int32 = -1
    nonisolated(unsafe) static var message: [UInt8] = []
    nonisolated(unsafe) static var reset: [UInt8] = []
    nonisolated(unsafe) static var previous: [sigaction] = Array(repeating: sigaction(), count: 6)
    nonisolated(unsafe) static var armed = false
}
