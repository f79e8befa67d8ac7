import Foundation
import KRPC
import KRPCTestSupport
import KRPCWire
import Testing

/// `krpc-server`'s command line and its demo service, run as a real process.
@Suite("krpc-server: command line and demo service")
struct ServerCommandLineTests {
    @Test(
        "a bad command line exits non-zero with a message naming the problem",
        arguments: [
            ([String](), "--port"),
            (["--port", "70000", "--no-registry", "--no-redis"], "--port must be 0...65535"),
            (["--port", "abc", "--no-registry", "--no-redis"], "--port"),
            (["--port", "0", "--no-redis"], "--no-registry"),
            (["--port", "0", "--no-registry"], "--no-redis"),
            (["--port", "0", "--zk", "127.0.0.1:2181", "--no-registry", "--no-redis"], "exclude each other"),
            (["--port", "0", "--zk", "nonsense", "--no-redis"], "is not HOST:PORT"),
            (["--port", "0", "--no-registry", "--redis", "localhost"], "--redis 'localhost' is not HOST:PORT"),
            (["--port", "0", "--no-registry", "--no-redis", "--allow-fault-injection"], "needs --redis"),
            (["--port", "0", "--no-registry", "--no-redis", "--log-level", "loud"], "--log-level 'loud'"),
            (["--port", "0", "--no-registry", "--no-redis", "--weight", "3"], "--weight needs --zk"),
            (["--port", "0", "--no-registry", "--redis", "127.0.0.1:6379", "--redis-db=-1"], "database -1"),
            (["--port", "0", "--no-registry", "--no-redis", "--grace-period=-2"], "--grace-period"),
            (["--port", "0", "--no-registry", "--no-redis", "--grace-period", "1e30"], "--grace-period must be 0...31536000"),
            (["--port", "0", "--no-registry", "--no-redis", "--count-log-interval", "inf"], "--count-log-interval must be"),
            (["--port", "0", "--zk", "127.0.0.1:2181", "--no-redis", "--zk-session-timeout", "1e30"], "--zk-session-timeout must be"),
            (["--port", "0", "--no-registry", "--no-redis", "--max-calls-per-connection", "0"], "--max-calls-per-connection"),
            (["--port", "0", "--no-registry", "--no-redis", "--log-file", "/nonexistent-dir/x.log"], "--log-file"),
            (["--port", "0", "--no-registry", "--no-redis", "--log-max-size", "1M"], "--log-max-size needs --log-file"),
            (["--port", "0", "--no-registry", "--no-redis", "--log-file", "/tmp/x", "--log-max-size", "1T"], "--log-max-size '1T'"),
            (["--port", "0", "--host", "0.0.0.0", "--no-registry", "--redis", "127.0.0.1:6379"], "give --advertise-host"),
            (["--port", "0", "--host", "0.0.0.0", "--zk", "127.0.0.1:2181", "--no-redis"], "give --advertise-host"),
            (["--port", "0", "--no-registry", "--no-redis", "--advertise-host", "0.0.0.0"], "--advertise-host '0.0.0.0'"),
            (["--port", "0", "--no-registry", "--no-redis", "--metrics-port", "70000"], "--metrics-port must be 0...65535"),
            (["--port", "0", "--no-registry", "--no-redis", "--metrics-port", "x"], "--metrics-port"),
            (["--port", "9123", "--no-registry", "--no-redis", "--metrics-port", "9123"], "--metrics-port must differ"),
        ]
    )
    func badCommandLine(arguments: [String], expected: String) async throws {
        let (code, output) = try await runToExit("krpc-server", arguments)
        let exitCode = try #require(code, "krpc-server \(arguments) was killed by a signal: \(output)")
        #expect(exitCode != 0, "krpc-server \(arguments) exited 0: \(output)")
        #expect(output.contains(expected), "output of krpc-server \(arguments) lacks '\(expected)': \(output)")
        #expect(!output.contains("Fatal error"), "krpc-server \(arguments) crashed: \(output)")
    }

    @Test("a port already in use is a clear error, not a crash")
    func portInUse() async throws {
        let first = try await ServerProcess.start(["--no-registry", "--no-redis"])
        let (code, output) = try await runToExit("krpc-server", [
            "--port", "\(first.address.port)", "--no-registry", "--no-redis",
        ])
        #expect(code == 1, "exit code \(String(describing: code)): \(output)")
        #expect(output.contains("cannot listen on 127.0.0.1:\(first.address.port)"), "\(output)")
        #expect(try await first.terminate() == 0)
    }

    @Test("Login, Echo and Health answer; at the default level a Login writes no line")
    func defaultLevelIsQuietPerCall() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis"])
        let connection = server.connect()
        for _ in 0..<3 {
            #expect(try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456").success)
        }
        var echo = EchoRequest()
        echo.value = Data("hello".utf8)
        #expect(try await EchoClient(connection).echo(echo).value == Data("hello".utf8))
        #expect(try await HealthClient(connection).check().status == .serving)
        await connection.close()
        #expect(try await server.terminate() == 0)
        #expect(server.logLines(containing: "doing local service").isEmpty, "\(server.log())")
        #expect(server.logLines(containing: "name: zhangsan").isEmpty, "\(server.log())")
    }

    @Test("--tracing: calls go through the tracing interceptor (no tracer bootstrapped) and answer as without it")
    func tracingFlag() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis", "--tracing"])
        let connection = server.connect()
        #expect(try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456").success)
        var echo = EchoRequest()
        echo.value = Data("traced".utf8)
        let options = KRPCCallOptions(metadata: ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
        #expect(try await EchoClient(connection).echo(echo, options: options).value == Data("traced".utf8))
        await connection.close()
        #expect(try await server.terminate() == 0)
    }

    @Test("at debug, Login logs as the seed does with the password masked")
    func demoServiceMasksPassword() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis", "--log-level", "debug"])
        let connection = server.connect()
        let reply = try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456")
        #expect(reply.success)
        #expect(reply.errcode == 0)
        var echo = EchoRequest()
        echo.value = Data("hello".utf8)
        #expect(try await EchoClient(connection).echo(echo).value == Data("hello".utf8))
        #expect(try await HealthClient(connection).check().status == .serving)
        await connection.close()

        try await server.waitForLog("name: zhangsan pwd: ******")
        #expect(server.logLines(containing: "doing local service: Login").count == 1)
        #expect(!server.log().contains("123456"), "the password reached the log:\n\(server.log())")
        #expect(try await server.terminate() == 0)
    }

    @Test("--log-max-size rotates the log file, keeping three")
    func logRotates() async throws {
        let server = try await ServerProcess.start([
            "--no-registry", "--no-redis", "--log-level", "debug", "--log-max-size", "2K",
        ])
        let connection = server.connect()
        // Each Login writes two debug lines (about 150 bytes each): 100 of them fill several 2 KB files.
        for _ in 0..<100 {
            #expect(try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456").success)
        }
        await connection.close()
        #expect(try await server.terminate() == 0)
        for suffix in ["", ".1", ".2", ".3"] {
            let path = server.logFile + suffix
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            #expect(size != nil, "\(path) is missing")
            #expect((size ?? 0) <= 2048, "\(path) holds \(size ?? 0) bytes")
        }
        #expect(!FileManager.default.fileExists(atPath: server.logFile + ".4"))
    }

    @Test("at the demo log level Login logs the password in clear")
    func demoLevelShowsPassword() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis", "--log-level", "demo"])
        let connection = server.connect()
        #expect(try await UserServiceClient(connection).login(name: "zhangsan", pwd: "123456").success)
        await connection.close()
        try await server.waitForLog("name: zhangsan pwd: 123456")
        #expect(server.logLines(containing: "doing local service: Login").count == 1)
        #expect(try await server.terminate() == 0)
    }
}
