import KRPCTopCore
import Synchronization

/// What other tasks hand the UI thread: the newest snapshot (older ones unseen are dropped: only the latest
/// matters), status messages (outcomes of effects), and a quit request.
///
/// The UI thread takes everything at once each turn of its loop; nothing here blocks for long.
final class UIMailbox: Sendable {
    struct Mail: Sendable {
        var snapshot: DashboardSnapshot?
        var messages: [(StatusMessage.Severity, String)] = []
        var quit = false
    }

    private let mail = Mutex(Mail())

    /// Replaces any snapshot not taken yet.
    func post(_ snapshot: DashboardSnapshot) {
        self.mail.withLock { $0.snapshot = snapshot }
    }

    /// Queues a status line message.
    func post(_ severity: StatusMessage.Severity, _ text: String) {
        self.mail.withLock { $0.messages.append((severity, text)) }
    }

    /// Asks the UI to quit (a fatal error elsewhere).
    func requestQuit() {
        self.mail.withLock { $0.quit = true }
    }

    /// Everything posted since the last call.
    func take() -> Mail {
        self.mail.withLock { mail in
            defer {
                mail.snapshot = nil
                mail.messages.removeAll()
            }
            return mail
        }
    }
}
