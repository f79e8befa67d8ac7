import Foundation
import KRPC
import KRPCServices
import Logging
import Testing

@Suite("Text from outside is cut in logs")
struct LogTruncationTests {
    @Test("LogText.cut keeps short text and cuts long text, saying how much was left out")
    func cut() {
        #expect(LogText.cut("short") == "short")
        #expect(LogText.cut(String(repeating: "a", count: 256)) == String(repeating: "a", count: 256))
        let long = String(repeating: "b", count: 10_240)
        #expect(LogText.cut(long) == String(repeating: "b", count: 256) + "…(+9984 bytes)")
        // Characters, not bytes: a multi-byte character is never split.
        #expect(LogText.cut("ééééé", limit: 2) == "éé…(+6 bytes)")
        #expect(LogText.cut("abc", limit: 0) == "…(+3 bytes)")
    }

    @Test("a 10 KB message or metadata value becomes a line of bounded length")
    func lineHandler() throws {
        let directory = NSTemporaryDirectory() + "krpc-linelog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/server.log"
        let sink = try LogSink(appendingTo: path)
        var logger = Logger(label: "krpc-server") { label in LineLogHandler(label: label, sink: sink, level: .info) }
        logger.logLevel = .info
        let value = String(repeating: "v", count: 10_240)
        logger.warning("ignoring a malformed fault value", metadata: ["krpc.fault_value": "\(value)"])
        logger.info("\(value)")
        let lines = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
            .split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("krpc.fault_value=" + String(repeating: "v", count: 512) + "…(+9728 bytes)"))
        #expect(lines[0].utf8.count < 700)
        #expect(lines[1].utf8.count < 2200)
        #expect(lines[1].contains("…(+8192 bytes)"))
    }
}
