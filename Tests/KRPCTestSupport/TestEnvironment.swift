import Foundation

/// Where the integration tests find their servers.
///
/// `demo-cluster/test` starts a real ZooKeeper and a real Redis and exports their addresses as
/// `KRPC_TEST_ZK` and `KRPC_TEST_REDIS`. A plain `swift test` without them skips the tests that need
/// them (`isAvailable` is false); under `demo-cluster/test` or in CI (`CI` set) a missing or unreachable
/// server is a failure that names the variable and the address, never a skip.
public enum TestEnvironment {
    /// A server the integration tests need.
    public enum Server: String, Sendable {
        case zooKeeper = "KRPC_TEST_ZK"
        case redis = "KRPC_TEST_REDIS"
    }

    /// True under CI or `demo-cluster/test`: missing servers must fail, not skip.
    public static var isStrict: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["CI"] != nil || env["KRPC_TEST_RUN_DIR"] != nil
    }

    /// Whether tests needing `server` should run: its variable is set, or we are strict (and will fail).
    public static func isAvailable(_ server: Server) -> Bool {
        ProcessInfo.processInfo.environment[server.rawValue] != nil || self.isStrict
    }

    /// The `host:port` of `server`, checked to accept TCP connections.
    /// - Throws: ``TestEnvironmentError`` naming the variable (and the address when it is unreachable).
    public static func address(of server: Server) throws -> (host: String, port: Int) {
        guard let text = ProcessInfo.processInfo.environment[server.rawValue], !text.isEmpty else {
            throw TestEnvironmentError(
                message: "\(server.rawValue) is not set: run the tests through demo-cluster/test, which starts the servers"
            )
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw TestEnvironmentError(message: "\(server.rawValue)=\(text) is not host:port")
        }
        let host = String(text[..<colon])
        guard TCPProbe.accepts(host: host, port: port, timeout: .seconds(2)) else {
            throw TestEnvironmentError(message: "\(server.rawValue)=\(text): nothing accepts connections there")
        }
        return (host, port)
    }

    /// `host:port` text of `server`, checked like ``address(of:)``.
    public static func addressString(of server: Server) throws -> String {
        let (host, port) = try self.address(of: server)
        return "\(host):\(port)"
    }
}

/// A test environment problem, reported as a test failure.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { self.message }
}
