public import Logging
import Synchronization

/// A log handler that keeps every entry, for asserting on what was logged (no global bootstrap).
///
/// ```swift
/// let logs = LogCapture()
/// let client = try ZooKeeperClient(configuration: configuration, logger: logs.logger())
/// #expect(logs.entries(.warning, containing: "expired").count == 1)
/// ```
public final class LogCapture: Sendable {
    /// One log call, its metadata (the logger's merged with the call's) rendered as text.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    /// A logger writing into this capture, at `level` and above.
    public func logger(_ label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every entry so far, oldest first.
    public var all: [Entry] { self.entries.withLock { $0 } }

    /// The entries at `level`.
    public func entries(at level: Logger.Level) -> [Entry] {
        self.all.filter { $0.level == level }
    }

    /// The entries at `level` whose message contains `text`.
    public func entries(_ level: Logger.Level, containing text: String) -> [Entry] {
        self.all.filter { $0.level == level && $0.message.contains(text) }
    }

    /// Whether any entry's message or metadata value contains `text`.
    public func contains(_ text: String) -> Bool {
        self.all.contains { $0.message.contains(text) || $0.metadata.values.contains { $0.contains(text) } }
    }

    fileprivate func append(_ entry: Entry) { self.entries.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.capture.append(
                Entry(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" })
            )
        }
    }
}
