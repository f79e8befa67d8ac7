import KRPC
package import Logging

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A swift-log handler writing one line per entry to a ``LogSink``:
///
/// `2026-11-24T06:33:12.345+0000 info krpc-server: doing local service: Login krpc.method=UserServiceRpc.Login`
///
/// Timestamp (local time, milliseconds), level, label, message, then the metadata as sorted
/// `key=value` pairs. Newlines inside a message are escaped so an entry stays one line. Messages longer
/// than ``maximumMessageLength`` and metadata values longer than ``maximumValueLength`` characters are
/// cut (``LogText``): whatever a peer or a Redis key put in them, a line stays a line.
package struct LineLogHandler: LogHandler {
    /// The longest message kept, in characters.
    package static let maximumMessageLength = 2048
    /// The longest metadata value kept, in characters.
    package static let maximumValueLength = 512

    package let label: String
    let sink: LogSink
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    /// A handler writing entries of `level` and above to `sink`.
    package init(label: String, sink: LogSink, level: Logger.Level) {
        self.label = label
        self.sink = sink
        self.logLevel = level
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let metadata = event.metadata {
            merged.merge(metadata) { _, new in new }
        }
        var line = Self.timestamp()
        line += " \(event.level) \(self.label): "
        line += Self.oneLine(LogText.cut(event.message.description, limit: Self.maximumMessageLength))
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(Self.oneLine(LogText.cut("\(value)", limit: Self.maximumValueLength)))"
        }
        line += "\n"
        self.sink.write(line)
    }

    private static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.replacingNewlines()
    }

    /// `2026-11-24T06:33:12.345+0000`, local time.
    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        var zone = [CChar](repeating: 0, count: 16)
        let zoneCount = strftime(&zone, zone.count, "%z", &parts)
        let milliseconds = Int(now.tv_nsec / 1_000_000)
        let date = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let offset = String(decoding: zone[..<zoneCount].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let ms = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(date).\(ms)\(offset)"
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        var result = ""
        result.reserveCapacity(self.utf8.count)
        for character in self {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\r\n": result += "\\r\\n"
            default: result += character.isNewline ? " " : String(character)
            }
        }
        return result
    }
}
