import Testing

/// krpc-top's argument checks: a bad option ends the process with a message naming it, before any terminal
/// mode changes or connections.
@Suite("krpc-top: command line")
struct TopCommandLineTests {
    @Test(
        "a bad option exits 64 with a message naming it",
        arguments: [
            (["--delay-ms", "86400001"], "--delay-ms must be 0...86400000"),
            (["--delay-ms=-1"], "--delay-ms must be 0...86400000"),
            (["--hedge-delay-ms", "0"], "--hedge-delay-ms must be 1...86400000"),
            (["--deadline-ms", "9223372036854775807"], "--deadline-ms must be 1...86400000"),
            (["--duration", "1e30"], "--duration must be a number of seconds > 0 and <= 31536000"),
            (["--fault-ttl", "nan"], "--fault-ttl must be a number of seconds > 0"),
            (["--rate", "1e-300"], "--rate must be 0 or 0.01...1000000"),
            (["--window", "0"], "--window must be 0.1...3600 seconds"),
            (["--window", "1e9"], "--window must be 0.1...3600 seconds"),
            (["--metrics-port", "65536"], "--metrics-port must be 0...65535"),
            (["--metrics-port=-1"], "--metrics-port must be 0...65535"),
        ]
    )
    func badOption(arguments: [String], expected: String) async throws {
        let (code, output) = try await runToExit("krpc-top", ["--nodes", "127.0.0.1:1", "--no-redis", "--once"] + arguments)
        #expect(code == 64, "\(output)")
        #expect(output.contains(expected), "\(output)")
    }
}
