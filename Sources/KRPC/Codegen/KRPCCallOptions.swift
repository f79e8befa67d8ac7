/// Options of one call made through a generated client (protoc-gen-krpc).
///
/// Every generated client method takes one, so that what a call can carry grows here without
/// changing generated code.
public struct KRPCCallOptions: Sendable {
    /// How long to wait for the response, also sent to the server; `nil` = the caller's default
    /// (5 s for a ``NodeConnection``).
    public var deadline: Duration?

    // Request metadata (key/value pairs sent in the request header) goes here when the frame
    // format carries it.

    /// Creates options.
    @inlinable
    public init(deadline: Duration? = nil) {
        self.deadline = deadline
    }

    /// No deadline of its own: the caller's default applies.
    @inlinable
    public static var defaults: KRPCCallOptions { KRPCCallOptions() }
}
