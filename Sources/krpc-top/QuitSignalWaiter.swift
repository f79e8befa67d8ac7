import Foundation
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Waits for a quit signal outside the dashboard (`--once`): the handlers ``TerminalGuard`` installs write to a
/// pipe, and a thread that unblocks those signals (threads of the concurrency pool block nearly everything) reads
/// it and hands the signal to whoever waits.
final class QuitSignalWaiter: Sendable {
    private let state = Mutex<(signal: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    /// Installs the handlers and starts the reading thread. Without a pipe (out of descriptors) the signals still
    /// set ``TerminalGuard/requestedSignal`` but nobody waits for them: ``wait()`` then never returns.
    static func start() -> QuitSignalWaiter {
        let waiter = QuitSignalWaiter()
        TerminalGuard.installQuitHandlers()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return waiter }
        let readEnd = fds[0]
        TerminalGuard.wakeDescriptor.store(fds[1], ordering: .relaxed)
        let thread = Thread {
            TerminalGuard.unblockSignalsOnThisThread()
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 || (n < 0 && errno != EINTR) { break }
            }
            waiter.deliver(TerminalGuard.requestedSignal.load(ordering: .relaxed))
        }
        thread.name = "krpc-top-signals"
        thread.start()
        return waiter
    }

    /// Returns the signal once one arrived.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { s -> Int32? in
                if let signal = s.signal { return signal }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func deliver(_ signal: Int32) {
        let waiters = self.state.withLock { s in
            s.signal = signal
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: signal) }
    }
}
