/// Text from outside (a fault value, a login name, a method name a peer sent) cut to a length a log line
/// can carry: a 10 KB value must not become a 10 KB line, over and over.
///
/// ```swift
/// logger.warning("ignoring a malformed fault value", metadata: ["krpc.fault_value": "\(LogText.cut(value))"])
/// // krpc.fault_value=xxxxxxxx…(+9984 bytes)
/// ```
package enum LogText {
    /// The default longest text kept, in characters.
    package static let defaultLimit = 256

    /// `text` when it has at most `limit` characters, else its first `limit` characters followed by
    /// `…(+N bytes)`, N the UTF-8 bytes left out.
    package static func cut(_ text: String, limit: Int = LogText.defaultLimit) -> String {
        let limit = max(limit, 0)
        // Fast path: fewer bytes than the limit means fewer characters too.
        guard text.utf8.count > limit else { return text }
        guard let end = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex),
            end < text.endIndex
        else { return text }
        let kept = text[..<end]
        return "\(kept)…(+\(text.utf8.count - kept.utf8.count) bytes)"
    }
}
