/// Whether a ``RedisClient`` has a live connection, as the dashboard shows it.
public enum RedisConnectionState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No connection has been attempted yet.
    case connecting
    /// The last command or connection attempt succeeded.
    case connected
    /// The last connection attempt or command failed; the client reconnects with backoff on the next use.
    case disconnected
    /// ``RedisClient/shutdown()`` was called.
    case shutDown = "shut-down"

    public var description: String { self.rawValue }
}
