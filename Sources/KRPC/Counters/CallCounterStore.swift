public import KRPCPolicy

/// Where a server counts the calls it handled (Redis in `KRPCRedis`: hashes
/// `krpc:calls:<Service>.<Method>` and `krpc:errors:<Service>.<Method>`, field `<host:port>`).
public protocol CallCounterStore: Sendable {
    /// Counts one handled call of `key` on `node`, and one error too when `failed`.
    ///
    /// - Important: Called on the call path (possibly on an event loop): it must not block.
    ///   Implementations batch and flush in the background.
    func recordCall(_ key: ServiceKey, node: NodeAddress, failed: Bool)
}
