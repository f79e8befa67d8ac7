/// A transient message on the status line, e.g. `error injected on 127.0.0.1:8000 (ttl 60s)`.
public struct StatusMessage: Sendable, Hashable {
    /// How the message is styled.
    public enum Severity: Sendable, Hashable {
        /// An outcome the user asked for.
        case info
        /// Something the user asked for that did not happen, and why.
        case warning
        /// A failure reported by the wiring layer.
        case error

        /// The status bar style for this severity.
        public var themeKey: ThemeKey {
            switch self {
            case .info: .statusMessage
            case .warning: .statusWarning
            case .error: .statusError
            }
        }
    }

    /// How it is styled.
    public var severity: Severity
    /// The text.
    public var text: String
    /// When it disappears, on the clock of ``TopEvent/tick(_:)``.
    public var expiresAt: Duration

    /// Creates a message.
    public init(_ severity: Severity, _ text: String, expiresAt: Duration) {
        self.severity = severity
        self.text = text
        self.expiresAt = expiresAt
    }
}
