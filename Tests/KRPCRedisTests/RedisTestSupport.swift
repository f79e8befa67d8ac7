import KRPC
import KRPCPolicy
import KRPCTestSupport
import Logging

@testable import KRPCRedis

/// Shared helpers for the Redis integration tests.
enum RedisTest {
    /// Whether the shared Redis (`KRPC_TEST_REDIS`) tests should run; strict under `demo-cluster/test`/CI.
    static var isAvailable: Bool { TestEnvironment.isAvailable(.redis) }

    /// The configuration of the shared test Redis.
    /// - Throws: a failure naming `KRPC_TEST_REDIS` and the address when it is unset or unreachable.
    static func sharedConfiguration() throws -> RedisConfiguration {
        try RedisConfiguration(address: TestEnvironment.addressString(of: .redis))
    }

    /// A configuration for a server that reconnects quickly (private servers stopped and restarted by a test).
    static func fastReconnecting(_ address: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(address: address)
        configuration.reconnectInitialBackoff = .milliseconds(20)
        configuration.reconnectMaxBackoff = .milliseconds(200)
        return configuration
    }

    /// A name no other test (or earlier run) uses, for keys, services and nodes.
    static func unique(_ prefix: String) -> String {
        "\(prefix)\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    /// A service key of its own.
    static func uniqueKey(method: String = "Login") -> ServiceKey {
        ServiceKey(service: unique("RedisTest"), method: method)
    }

    /// A node address no other test uses (nothing listens there: it only names hash fields and fault keys).
    static func uniqueNode() -> NodeAddress {
        NodeAddress(host: unique("node-"), port: Int.random(in: 1...65535))
    }

    /// A logger that drops everything.
    static var quietLogger: Logger { Logger(label: "krpc.redis.test") { _ in SwiftLogNoOpLogHandler() } }

    /// Runs `body` with a client on `configuration` and shuts it down afterwards.
    static func withClient<R: Sendable>(
        _ configuration: RedisConfiguration,
        logger: Logger = RedisTest.quietLogger,
        _ body: (RedisClient) async throws -> R
    ) async throws -> R {
        try await withRedisClient(configuration: configuration, logger: logger, body)
    }

    /// Deletes keys after a test (best effort).
    static func delete(_ keys: [String], using client: RedisClient) async {
        guard !keys.isEmpty else { return }
        _ = try? await client.send(RedisCommand(arguments: ["DEL"] + keys))
    }
}
