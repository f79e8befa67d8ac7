import Testing

/// krpc-bench's argument checks: a bad option ends the process with a message naming it, never a trap.
@Suite("krpc-bench: command line")
struct BenchCommandLineTests {
    @Test(
        "a bad option exits 64 with a message naming it",
        arguments: [
            (["--duration", "1e30"], "--duration must be 0...31536000 seconds"),
            (["--duration", "0"], "--duration must be > 0"),
            (["--warmup", "1e30"], "--warmup must be 0...31536000 seconds"),
            (["--deadline", "inf"], "--deadline must be 0...31536000 seconds"),
            (["--concurrency", "0"], "--concurrency must be 1...100000"),
            (["--connections", "100000"], "--connections must be 1...1024"),
            (["--payload", "1000000000000"], "--payload must be 0...16777216 bytes"),
        ]
    )
    func badOption(arguments: [String], expected: String) async throws {
        let (code, output) = try await runToExit("krpc-bench", ["--target", "127.0.0.1:1"] + arguments)
        #expect(code == 64, "\(output)")
        #expect(output.contains(expected), "\(output)")
    }
}
