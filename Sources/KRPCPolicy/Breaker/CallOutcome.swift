/// The result of one call or health probe, as reported to a ``CircuitBreaker``.
public enum CallOutcome: Sendable, Hashable {
    /// The node answered normally.
    case success
    /// The node failed in a way that counts against its health; `message` is the peer's or transport's text.
    case failure(kind: FailureKind, message: String)

    /// Longest message kept in a breaker reason; longer texts (they may come from a peer) are cut with `…`.
    static let maxMessageLength = 120

    /// `internal 'injected error'`, or just `deadline exceeded` when the message is empty: the text a breaker
    /// reason ends with. `nil` for ``success``.
    public var failureDescription: String? {
        guard case .failure(let kind, let message) = self else { return nil }
        let trimmed = message.trimmingWhitespaceAndNewlines
        guard !trimmed.isEmpty else { return kind.description }
        let short =
            trimmed.count > Self.maxMessageLength
            ? String(trimmed.prefix(Self.maxMessageLength - 1)) + "…" : trimmed
        return "\(kind) '\(short)'"
    }

    /// Whether this is a ``failure(kind:message:)``.
    public var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension String {
    /// The text without leading/trailing whitespace, control characters flattened to spaces (reasons are one line).
    fileprivate var trimmingWhitespaceAndNewlines: String {
        let flattened = String(self.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        var slice = Substring(flattened)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
