public import KRPCWire
public import Tracing

/// Writes a tracer's propagation values (W3C `traceparent` and `tracestate`, say) into request metadata.
///
/// A value replaces any value already under its key: a call made again with the same metadata
/// carries the new context, not both.
public struct KRPCMetadataInjector: Injector {
    /// Creates the injector.
    public init() {}

    /// Sets `value` under `key` (lower-cased, as metadata keys are).
    public func inject(_ value: String, forKey key: String, into carrier: inout KRPCMetadata) {
        carrier.replaceOrAddString(value, forKey: key)
    }
}
