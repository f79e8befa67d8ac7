import Foundation

/// Prometheus's `promtool check metrics` (Debian's `prometheus` package; `demo-cluster/bootstrap` installs it), to
/// check that an exposition is valid and lint-clean.
///
/// A plain `swift test` on a machine without it skips the checks (``isAvailable`` is false); under CI or
/// `demo-cluster/test` a missing promtool is a failure, never a skip.
public enum Promtool {
    /// promtool's path, found in PATH, or nil.
    public static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/promtool" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether tests that need promtool should run: it is installed, or we are strict (and will fail).
    public static var isAvailable: Bool { self.path != nil || TestEnvironment.isStrict }

    /// Runs `promtool check metrics` on `text`.
    /// - Returns: its exit code (0: valid, no lint problem) and output.
    /// - Throws: ``TestEnvironmentError`` when promtool is not installed or does not finish in 20 s.
    public static func checkMetrics(_ text: String) async throws -> (exitCode: Int32?, output: String) {
        guard let path = self.path else {
            throw TestEnvironmentError(
                message: "promtool is not installed (Debian package 'prometheus'; demo-cluster/bootstrap installs it)")
        }
        let file = NSTemporaryDirectory() + "krpc-metrics-\(UUID().uuidString).prom"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // promtool reads the metrics on stdin.
        let process = try ChildProcess("/bin/sh", ["-c", "exec \"$0\" check metrics < \"$1\"", path, file])
        guard try await process.waitForExit(timeout: .seconds(20)) else {
            process.terminate(grace: .milliseconds(100))
            throw TestEnvironmentError(message: "promtool check metrics did not finish in 20 s")
        }
        return (process.exitCode, process.log())
    }
}
