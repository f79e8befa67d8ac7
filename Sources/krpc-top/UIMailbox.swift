import KRPCTopCore
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What other tasks hand the UI thread: the newest snapshot (older ones unseen are dropped: only the latest
/// matters), status messages (outcomes of effects), and a quit request.
///
/// Posting wakes the UI thread through a pipe it polls together with the terminal, so a snapshot is drawn as
/// soon as it arrives and the UI sleeps otherwise (no busy polling). At most one wake-up byte is in the pipe at
/// a time.
final class UIMailbox: Sendable {
    struct Mail: Sendable {
        var snapshot: DashboardSnapshot?
        var messages: [(StatusMessage.Severity, String)] = []
        var quit = false
    }

    private struct State {
        var mail = Mail()
        var wakePending = false
    }

    private let state = Mutex(State())
    /// The read end of the wake-up pipe (non-blocking), for `poll`.
    let wakeDescriptor: Int32
    /// The write end: one byte wakes the UI (also written by the quit signal handler).
    let wakeWriteDescriptor: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
        }
        self.wakeDescriptor = fds[0]
        self.wakeWriteDescriptor = fds[1]
    }

    deinit {
        if self.wakeDescriptor >= 0 { close(self.wakeDescriptor) }
        if self.wakeWriteDescriptor >= 0 { close(self.wakeWriteDescriptor) }
    }

    /// Replaces any snapshot not taken yet.
    func post(_ snapshot: DashboardSnapshot) {
        self.deliver { $0.snapshot = snapshot }
    }

    /// Queues a status line message.
    func post(_ severity: StatusMessage.Severity, _ text: String) {
        self.deliver { $0.messages.append((severity, text)) }
    }

    /// Asks the UI to quit (a fatal error elsewhere).
    func requestQuit() {
        self.deliver { $0.quit = true }
    }

    /// Everything posted since the last call; empties the wake-up pipe.
    func take() -> Mail {
        var byte: UInt8 = 0
        while read(self.wakeDescriptor, &byte, 1) > 0 {}
        return self.state.withLock { state in
            defer {
                state.mail.snapshot = nil
                state.mail.messages.removeAll()
                state.wakePending = false
            }
            return state.mail
        }
    }

    private func deliver(_ change: (inout Mail) -> Void) {
        let wake = self.state.withLock { state in
            change(&state.mail)
            defer { state.wakePending = true }
            return !state.wakePending
        }
        if wake {
            var byte: UInt8 = 1
            _ = write(self.wakeWriteDescriptor, &byte, 1)
        }
    }
}
