import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where the server's log lines go: a file opened for appending (`--log-file`) or stderr.
///
/// Each line is written with one `write(2)` under a lock, so lines from different threads never
/// interleave, and several processes appending to the same file (the demo redirects the node's
/// stderr there too) keep whole lines (`O_APPEND`).
///
/// With a `maxSize` (`--log-max-size`) the file rotates: before a line would take it past the size, `F`
/// becomes `F.1` (`F.1` becomes `F.2`, and so on up to ``keptFiles``; the oldest is dropped) and a new `F`
/// is opened. The size counts what this sink wrote plus what the file held when opened; lines other
/// processes append are not counted (they follow the file into `F.1` when it rotates).
package final class LogSink: Sendable {
    private struct File {
        var descriptor: Int32
        var size: Int
    }

    /// How many rotated files are kept beside the current one (`F.1` … `F.3`).
    package static let keptFiles = 3

    private let file: Mutex<File>
    private let path: String?
    private let maxSize: Int?

    /// Writes to stderr.
    package static let standardError = LogSink(descriptor: 2)

    private init(descriptor: Int32) {
        self.file = Mutex(File(descriptor: descriptor, size: 0))
        self.path = nil
        self.maxSize = nil
    }

    /// Opens (creating if needed) `path` for appending.
    /// - Parameter maxSize: rotate before the file would grow past this many bytes; `nil`: never.
    /// - Throws: ``LogFileError`` naming the path and the reason.
    package init(appendingTo path: String, maxSize: Int? = nil) throws(LogFileError) {
        let fd = Self.open(path)
        guard fd >= 0 else {
            throw LogFileError(path: path, reason: String(cString: strerror(errno)))
        }
        var status = stat()
        let size = fstat(fd, &status) == 0 ? Int(status.st_size) : 0
        self.file = Mutex(File(descriptor: fd, size: size))
        self.path = path
        self.maxSize = maxSize.map { max($0, 1) }
    }

    deinit {
        if self.path != nil { close(self.file.withLock { $0.descriptor }) }
    }

    /// Writes `line` (which ends in a newline) in one piece, rotating the file first when it is due.
    package func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            self.file.withLock { file in
                if let maxSize = self.maxSize, file.size > 0, file.size + bytes.count > maxSize {
                    self.rotate(&file)
                }
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(file.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return }  // a full disk or closed stderr must not stop the server
                    offset += n
                    file.size += n
                }
            }
        }
    }

    /// `F.2` → `F.3`, `F.1` → `F.2`, `F` → `F.1`, then a new `F`. When the new file cannot be opened the
    /// lines keep going to the old one (now `F.1`), and rotation is tried again after another `maxSize`.
    private func rotate(_ file: inout File) {
        guard let path = self.path else { return }
        for index in stride(from: Self.keptFiles - 1, through: 1, by: -1) {
            _ = rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        _ = rename(path, "\(path).1")
        file.size = 0
        let fd = Self.open(path)
        guard fd >= 0 else { return }
        close(file.descriptor)
        file.descriptor = fd
    }

    /// A size as `--log-max-size` takes it: `1048576`, `512K`, `64M`, `1G` (powers of 1024), from 0 to 1 TiB;
    /// `nil` when it is none of those.
    package static func size(parsing text: String) -> Int? {
        var digits = Substring(text)
        var unit = 1
        switch digits.last {
        case "K", "k": unit = 1 << 10
        case "M", "m": unit = 1 << 20
        case "G", "g": unit = 1 << 30
        default: break
        }
        if unit > 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
            value <= (1 << 40) / unit
        else { return nil }
        return value * unit
    }

    private static func open(_ path: String) -> Int32 {
        Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }
}

/// `--log-file` cannot be opened.
package struct LogFileError: Error, CustomStringConvertible {
    /// The file.
    package var path: String
    /// `strerror` of the failure.
    package var reason: String
    package var description: String { "--log-file \(self.path): cannot open for appending: \(self.reason)" }
}
