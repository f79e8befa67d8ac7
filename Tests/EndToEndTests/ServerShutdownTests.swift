import Foundation
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How a real `krpc-server` stops on SIGINT/SIGTERM.
@Suite("krpc-server: graceful shutdown")
struct ServerShutdownTests {
    @Test("SIGINT stops an idle server with exit code 0")
    func sigintExitsZero() async throws {
        let server = try await ServerProcess.start(["--no-registry", "--no-redis"])
        server.process.signal(SIGINT)
        #expect(try await server.process.waitForExit(timeout: .seconds(10)))
        #expect(server.process.exitCode == 0, "\(server.log())")
    }

    @Test(
        "SIGTERM lets the call in flight finish, flushes its count, and exits 0",
        .enabled(if: TestEnvironment.isAvailable(.redis))
    )
    func sigtermDrainsThenFlushes() async throws {
        let redis = try TestEnvironment.addressString(of: .redis)
        let server = try await ServerProcess.start(["--no-registry", "--redis", redis, "--allow-fault-injection"])
        let key = RedisKeys.fault(server.address)
        let connection = server.connect()
        let users = UserServiceClient(connection)
        try await ServerTest.withRedis(redis) { client in
            let before = try await ServerTest.loginCalls(of: [server.address], in: client)[server.address] ?? 0
            for _ in 0..<5 { #expect(try await users.login(name: "zhangsan", pwd: "123456").success) }

            // Every call is now answered 800 ms late.
            _ = try await client.send("SET", key, "delay:800")
            _ = try await Prober(connection: connection).firstChange(after: .now, probeDeadline: .seconds(2)) {
                $0.code == nil && $0.duration >= .milliseconds(800)
            }
            let inFlight = Task { try await users.login(name: "zhangsan", pwd: "123456", deadline: .seconds(5)) }
            // Held there for 800 ms from when it arrives.
            try await ServerTest.waitForLoginsInFlight(1, on: connection)
            let signalledAt = ContinuousClock.now
            server.process.signal(SIGTERM)

            let reply = try await inFlight.value
            #expect(reply.success)
            #expect(
                ContinuousClock.now - signalledAt >= .milliseconds(400),
                "the call was not held: the fault did not apply")
            #expect(try await server.process.waitForExit(timeout: .seconds(10)))
            #expect(server.process.exitCode == 0, "\(server.log())")

            // Counted after the drain: the five calls and the one that finished while draining.
            let after = try await ServerTest.loginCalls(of: [server.address], in: client)[server.address] ?? 0
            #expect(after - before == 6)
            _ = try await client.send("DEL", key)
        }
        await connection.close()
        let log = server.log()
        let stopped = try #require(log.range(of: "info krpc-server: stopped"), "\(log)")
        let flushed = try #require(log.range(of: "call counts flushed"), "\(log)")
        #expect(stopped.lowerBound < flushed.lowerBound, "counts were flushed before the drain ended:\n\(log)")
    }
}
