import KRPCPolicy

/// Where and how a ``RedisClient`` connects.
///
/// Every field has a default; ``validate()`` runs once when a client is created and names the
/// bad field.
///
/// ```swift
/// var configuration = try RedisConfiguration(address: "127.0.0.1:6379")
/// configuration.password = "secret"
/// configuration.database = 2
/// ```
public struct RedisConfiguration: Sendable, Hashable {
    /// Host name or IP address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// Sent with `AUTH` after connecting, when set.
    public var password: String?
    /// Sent with `AUTH <username> <password>` (Redis 6 ACL users), when set together with ``password``.
    public var username: String?
    /// Selected with `SELECT` after connecting, when not 0.
    public var database: Int
    /// How long a connection attempt (including `AUTH` and `SELECT`) may take.
    public var connectTimeout: Duration
    /// How long one command or pipeline may wait for its reply before the connection is dropped.
    public var commandTimeout: Duration
    /// The wait before the first reconnect attempt after a failure.
    public var reconnectInitialBackoff: Duration
    /// The longest wait between reconnect attempts (the backoff doubles up to this).
    public var reconnectMaxBackoff: Duration

    /// Creates a configuration; every field has a default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        username: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(1),
        commandTimeout: Duration = .seconds(2),
        reconnectInitialBackoff: Duration = .milliseconds(100),
        reconnectMaxBackoff: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.username = username
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectInitialBackoff = reconnectInitialBackoff
        self.reconnectMaxBackoff = reconnectMaxBackoff
    }

    /// A configuration for the server at `address` (`host:port`, as `--redis` takes it), other fields defaulted.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidConfiguration`` when it is not `host:port`.
    public init(address: String) throws(RedisError) {
        guard let node = NodeAddress(parsing: address) else {
            throw RedisError(
                code: .invalidConfiguration,
                message: "address '\(address)' is not host:port (e.g. 127.0.0.1:6379)"
            )
        }
        self.init(host: node.host, port: node.port)
    }

    /// `host:port`.
    public var address: String { NodeAddress(host: self.host, port: self.port).description }

    /// Checks every field.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidConfiguration`` naming the first bad field.
    public func validate() throws(RedisError) {
        func bad(_ message: String) -> RedisError { RedisError(code: .invalidConfiguration, message: message) }
        if self.host.isEmpty { throw bad("host must not be empty") }
        if !(1...65535).contains(self.port) { throw bad("port \(self.port) must be in 1...65535") }
        if self.database < 0 { throw bad("database \(self.database) must be >= 0") }
        if self.username != nil && self.password == nil { throw bad("username needs a password") }
        if self.connectTimeout <= .zero { throw bad("connectTimeout must be > 0") }
        if self.commandTimeout <= .zero { throw bad("commandTimeout must be > 0") }
        if self.reconnectInitialBackoff <= .zero { throw bad("reconnectInitialBackoff must be > 0") }
        if self.reconnectMaxBackoff < self.reconnectInitialBackoff {
            throw bad("reconnectMaxBackoff must be >= reconnectInitialBackoff")
        }
    }
}
