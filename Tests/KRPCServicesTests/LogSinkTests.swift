import Foundation
import KRPCServices
import Testing

@Suite("Log file rotation")
struct LogSinkTests {
    /// A fresh directory for one test, removed after it.
    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "krpc-logsink-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("past the size the file becomes F.1, F.1 becomes F.2 … up to F.3; lines are never split")
    func rotates() throws {
        try self.withDirectory { directory in
            let path = directory + "/server.log"
            let sink = try LogSink(appendingTo: path, maxSize: 100)
            // 40-byte lines: two fit in 100 bytes, the third starts a new file.
            let lines = (0..<12).map { String(format: "line %02d ", $0) + String(repeating: "x", count: 31) + "\n" }
            #expect(lines.allSatisfy { $0.utf8.count == 40 })
            for line in lines { sink.write(line) }
            // 12 lines, 2 per file: F holds 10-11, F.1 8-9, F.2 6-7, F.3 4-5; 0-3 are gone.
            #expect(self.read(path) == lines[10] + lines[11])
            #expect(self.read(path + ".1") == lines[8] + lines[9])
            #expect(self.read(path + ".2") == lines[6] + lines[7])
            #expect(self.read(path + ".3") == lines[4] + lines[5])
            #expect(!FileManager.default.fileExists(atPath: path + ".4"))
        }
    }

    @Test("the size a file already has when opened counts; without a maximum it never rotates")
    func existingSizeAndNoLimit() throws {
        try self.withDirectory { directory in
            let path = directory + "/server.log"
            try Data(String(repeating: "o", count: 90).utf8).write(to: URL(fileURLWithPath: path))
            let sink = try LogSink(appendingTo: path, maxSize: 100)
            sink.write("0123456789ABCDEF\n")
            #expect(self.read(path) == "0123456789ABCDEF\n")
            #expect(self.read(path + ".1")?.count == 90)

            let unbounded = directory + "/unbounded.log"
            let plain = try LogSink(appendingTo: unbounded)
            for _ in 0..<100 { plain.write(String(repeating: "y", count: 99) + "\n") }
            #expect(self.read(unbounded)?.utf8.count == 10_000)
            #expect(!FileManager.default.fileExists(atPath: unbounded + ".1"))
        }
    }

    @Test("a line longer than the maximum is still written whole (in a file of its own)")
    func longLine() throws {
        try self.withDirectory { directory in
            let path = directory + "/server.log"
            let sink = try LogSink(appendingTo: path, maxSize: 10)
            sink.write("short\n")
            let long = String(repeating: "z", count: 50) + "\n"
            sink.write(long)
            #expect(self.read(path) == long)
            #expect(self.read(path + ".1") == "short\n")
        }
    }

    @Test(
        "--log-max-size values",
        arguments: [
            ("1048576", 1_048_576), ("0", 0), ("512K", 512 * 1024), ("64M", 64 << 20), ("1g", 1 << 30),
            ("1024G", 1 << 40),
        ]
    )
    func sizes(text: String, bytes: Int) {
        #expect(LogSink.size(parsing: text) == bytes)
    }

    @Test(
        "bad --log-max-size values are refused",
        arguments: ["", "M", "-1", "1.5M", "10T", "1025G", "١٢", "9999999999999999999"]
    )
    func badSizes(text: String) {
        #expect(LogSink.size(parsing: text) == nil)
    }
}
