import Foundation
import KRPCTopCollect
import Logging
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The log file krpc-top writes to: never the screen (curses owns it), always a file.
///
/// Opened once; every handler writes whole lines to the same descriptor under one lock, so lines from the
/// load generator, the collector and the UI thread never interleave.
final class LogFile: Sendable {
    /// The file's path.
    let path: String
    /// The descriptor, opened `O_APPEND`.
    let descriptor: Int32
    private let lock = Mutex(())

    /// Opens (creating directories as needed) `path` for appending.
    /// - Throws: ``TopError`` naming the path when it cannot be opened.
    init(path: String) throws(TopError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TopError("cannot open the log file \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = fd
    }

    /// Writes one line (a newline is added).
    func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        self.lock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(self.descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    /// The default place: `$XDG_STATE_HOME/krpc/krpc-top.log`, else `/tmp/krpc-top-<uid>.log`.
    static func defaultPath(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/krpc/krpc-top.log"
        }
        return "/tmp/krpc-top-\(getuid()).log"
    }
}

/// A swift-log handler writing `time level label: message key=value` lines to a ``LogFile``.
struct FileLogHandler: LogHandler {
    let file: LogFile
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, file: LogFile, level: Logger.Level) {
        self.label = label
        self.file = file
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = self.metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        self.file.write("\(Self.timestamp()) \(event.level) \(self.label): \(event.message)\(fields)")
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let millis = Int32(now.tv_nsec / 1_000_000)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(millis, 3))Z"
    }
}
