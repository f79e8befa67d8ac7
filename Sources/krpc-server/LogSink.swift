import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where the server's log lines go: a file opened for appending (`--log-file`) or stderr.
///
/// Each line is written with one `write(2)` under a lock, so lines from different threads never
/// interleave, and several processes appending to the same file (the demo redirects the node's
/// stderr there too) keep whole lines (`O_APPEND`).
final class LogSink: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let lock = Mutex(())

    /// Writes to stderr.
    static let standardError = LogSink(descriptor: 2, ownsDescriptor: false)

    private init(descriptor: Int32, ownsDescriptor: Bool) {
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    /// Opens (creating if needed) `path` for appending.
    /// - Throws: ``LogFileError`` naming the path and the reason.
    init(appendingTo path: String) throws(LogFileError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LogFileError(path: path, reason: String(cString: strerror(errno)))
        }
        self.descriptor = fd
        self.ownsDescriptor = true
    }

    deinit {
        if self.ownsDescriptor { close(self.descriptor) }
    }

    /// Writes `line` (which ends in a newline) in one piece.
    func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            self.lock.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(self.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }  // a full disk or closed stderr must not stop the server
                    offset += n
                }
            }
        }
    }
}

/// `--log-file` cannot be opened.
struct LogFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "--log-file \(self.path): cannot open for appending: \(self.reason)" }
}
