public import KRPC
public import KRPCPolicy

/// The Redis key names krpc uses (DESIGN.md "Contracts"): one place, so that servers, the dashboard and
/// the demo scripts agree.
public enum RedisKeys {
    /// `krpc:calls:<Service>.<Method>`: a hash, field `<host:port>`, calls handled by that node.
    public static func calls(_ key: ServiceKey) -> String { "krpc:calls:\(key)" }

    /// `krpc:errors:<Service>.<Method>`: a hash, field `<host:port>`, calls that node failed.
    public static func errors(_ key: ServiceKey) -> String { "krpc:errors:\(key)" }

    /// `krpc:fault:<host:port>`: a string holding a ``Fault`` (absent = healthy), maybe with a TTL.
    public static func fault(_ node: NodeAddress) -> String { "krpc:fault:\(node)" }

    /// The hash field of `node` in the calls and errors hashes: `<host:port>`.
    public static func field(_ node: NodeAddress) -> String { node.description }

    /// Prefix of the short-lived markers ``RedisCallCounter`` sets so that a retried flush is applied once.
    static let flushMarkerPrefix = "krpc:flush:"
}
