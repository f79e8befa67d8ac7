public import KRPCWire
public import Tracing

/// Reads a tracer's propagation values (W3C `traceparent` and `tracestate`, say) from request metadata.
public struct KRPCMetadataExtractor: Extractor {
    /// Creates the extractor.
    public init() {}

    /// The first string value under `key` (looked up lower-cased), or `nil`.
    public func extract(key: String, from carrier: KRPCMetadata) -> String? {
        carrier.firstString(forKey: key)
    }
}
