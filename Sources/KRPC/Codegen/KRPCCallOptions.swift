public import KRPCWire

/// Options of one call made through a generated client (protoc-gen-krpc).
///
/// Every generated client method takes one, so that what a call can carry grows here without
/// changing generated code.
public struct KRPCCallOptions: Sendable {
    /// How long to wait for the response, also sent to the server; `nil` = the caller's default
    /// (5 s for a ``NodeConnection``).
    public var deadline: Duration?
    /// Key/value pairs sent in the request header (empty: none), seen by the caller's interceptors
    /// and by the server's (``KRPCServerContext/metadata``).
    public var metadata: KRPCMetadata

    /// Creates options.
    @inlinable
    public init(deadline: Duration? = nil, metadata: KRPCMetadata = KRPCMetadata()) {
        self.deadline = deadline
        self.metadata = metadata
    }

    /// No deadline of its own: the caller's default applies; no metadata.
    @inlinable
    public static var defaults: KRPCCallOptions { KRPCCallOptions() }
}
