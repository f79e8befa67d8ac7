import Foundation
import KRPC
import KRPCPolicy
import KRPCRedis
import KRPCTestSupport
import KRPCZooKeeper
import Logging
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `krpc-server` in the real ZooKeeper: registration after listening, deregistration before draining.
@Suite(
    "krpc-server: registration in ZooKeeper",
    .enabled(if: TestEnvironment.isAvailable(.zooKeeper) && TestEnvironment.isAvailable(.redis))
)
struct ServerRegistryTests {
    @Test(
        "registers every method it serves with weight, pid, started_at and version; SIGTERM deregisters before draining"
    )
    func registersThenDeregistersBeforeDraining() async throws {
        let zk = try TestEnvironment.addressString(of: .zooKeeper)
        let redis = try TestEnvironment.addressString(of: .redis)
        let root = "/krpc-server-test-\(UInt64.random(in: 0...UInt64.max))"
        let server = try await ServerProcess.start([
            "--zk", zk, "--zk-root", root, "--weight", "3", "--redis", redis, "--allow-fault-injection",
        ])
        let registry = try ZooKeeperRegistry(
            configuration: .init(connectionString: zk, root: root, logger: ServerTest.quietLogger)
        )
        Task { await registry.run() }  // until registry.close()
        let keys = [
            ServerTest.login, ServiceKey(service: "Echo", method: "Echo"),
            ServiceKey(service: "Health", method: "Check"),
        ]
        for key in keys {
            let members = try await Self.membership(of: key, in: registry) {
                $0.contains { $0.address == server.address }
            }
            let instance = try #require(members.first { $0.address == server.address })
            #expect(instance.weight == 3, "\(key): \(instance)")
            #expect(instance.pid == Int(server.process.pid), "\(key): \(instance)")
            #expect(instance.version == "0.1.0", "\(key): \(instance)")
            let startedAt = try #require(instance.startedAt)
            #expect(abs(Int64(Date().timeIntervalSince1970) - startedAt) < 120, "\(key): started_at \(startedAt)")
        }

        // Hold a call in flight (every call answered 1.5 s late), then SIGTERM.
        let connection = server.connect()
        let users = UserServiceClient(connection)
        let key = RedisKeys.fault(server.address)
        try await ServerTest.withRedis(redis) { client in
            _ = try await client.send("SET", key, "delay:1500")
            _ = try await Prober(connection: connection).firstChange(after: .now, probeDeadline: .seconds(3)) {
                $0.code == nil && $0.duration >= .milliseconds(1500)
            }
            let finished = Shared(false)
            let inFlight = Task {
                defer { finished.withLock { $0 = true } }
                return try await users.login(name: "zhangsan", pwd: "123456", deadline: .seconds(5))
            }
            // Held there for 1.5 s from when it arrives.
            try await ServerTest.waitForLoginsInFlight(1, on: connection)
            server.process.signal(SIGTERM)

            _ = try await Self.membership(of: ServerTest.login, in: registry) {
                !$0.contains { $0.address == server.address }
            }
            #expect(!finished.withLock { $0 }, "the node was still registered when its last call finished")
            #expect(try await inFlight.value.success)
            _ = try await client.send("DEL", key)
        }
        #expect(try await server.process.waitForExit(timeout: .seconds(10)))
        #expect(server.process.exitCode == 0, "\(server.log())")
        let log = server.log()
        let deregistered = try #require(log.range(of: "info krpc-server: deregistered"), "\(log)")
        let stopped = try #require(log.range(of: "info krpc-server: stopped"), "\(log)")
        #expect(deregistered.lowerBound < stopped.lowerBound)
        await connection.close()
        await registry.close()
    }

    @Test("bound to 0.0.0.0 with --advertise-host 127.0.0.1, it registers, counts and takes faults as 127.0.0.1:<port>")
    func advertisedHost() async throws {
        let zk = try TestEnvironment.addressString(of: .zooKeeper)
        let redis = try TestEnvironment.addressString(of: .redis)
        let root = "/krpc-server-test-\(UInt64.random(in: 0...UInt64.max))"
        let server = try await ServerProcess.start([
            "--host", "0.0.0.0", "--advertise-host", "127.0.0.1",
            "--zk", zk, "--zk-root", root, "--redis", redis, "--allow-fault-injection",
        ])
        #expect(server.address.host == "0.0.0.0")  // what it printed: the bound address
        let advertised = NodeAddress(host: "127.0.0.1", port: server.address.port)
        let registry = try ZooKeeperRegistry(
            configuration: .init(connectionString: zk, root: root, logger: ServerTest.quietLogger)
        )
        Task { await registry.run() }  // until registry.close()
        let members = try await Self.membership(of: ServerTest.login, in: registry) { !$0.isEmpty }
        #expect(members.map(\.address) == [advertised])

        // Reachable at the advertised address; counted and faulted under it.
        let connection = NodeConnection(to: advertised)
        let users = UserServiceClient(connection)
        _ = try await users.login(name: "zhangsan", pwd: "123456")
        try await ServerTest.withRedis(redis) { client in
            try await waitUntil("the call counted under \(advertised)", timeout: .seconds(5)) {
                try await ServerTest.loginCalls(of: [advertised], in: client)[advertised] ?? 0 >= 1
            }
            _ = try await client.send("SET", RedisKeys.fault(advertised), "error")
            try await waitUntil("the fault on \(advertised) to take effect", timeout: .seconds(5)) {
                do {
                    _ = try await users.login(name: "zhangsan", pwd: "123456")
                    return false
                } catch let error as KRPCError {
                    return error.code == .internal
                }
            }
            _ = try await client.send("DEL", RedisKeys.fault(advertised))
        }
        await connection.close()
        await registry.close()
        #expect(try await server.terminate() == 0)
    }

    @Test("a ZooKeeper down at start is not fatal: the node serves, and registers once it is up")
    func zooKeeperDownAtStart() async throws {
        let port = TCPProbe.freePort()
        let server = try await ServerProcess.start(["--zk", "127.0.0.1:\(port)", "--no-redis"])
        let connection = server.connect()
        #expect(try await HealthClient(connection).check().status == .serving)
        let zooKeeper = try await ZooKeeperProcess(port: port)
        let registry = try ZooKeeperRegistry(
            configuration: .init(connectionString: zooKeeper.address, logger: ServerTest.quietLogger)
        )
        Task { await registry.run() }  // until registry.close()
        _ = try await Self.membership(of: ServerTest.login, in: registry, timeout: .seconds(20)) {
            $0.contains { $0.address == server.address }
        }
        await connection.close()
        #expect(try await server.terminate() == 0)
        await registry.close()
        zooKeeper.stop()
    }

    /// Follows the membership of `key` until `condition` holds; returns that membership.
    private static func membership(
        of key: ServiceKey,
        in registry: ZooKeeperRegistry,
        timeout: Duration = .seconds(10),
        _ condition: @escaping @Sendable ([ServiceInstance]) -> Bool
    ) async throws -> [ServiceInstance] {
        try await withThrowingTaskGroup(of: [ServiceInstance]?.self) { group in
            group.addTask {
                for await members in registry.discover(key) where condition(members) { return members }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let members = try await group.next() ?? nil else {
                throw TestEnvironmentError(
                    message: "the membership of \(key) did not change as expected within \(timeout)")
            }
            return members
        }
    }
}
