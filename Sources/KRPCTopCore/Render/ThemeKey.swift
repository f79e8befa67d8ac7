/// The style of a screen cell, by role. The terminal layer turns it into colours and attributes with
/// ``Theme/style(for:selected:)``; tests assert on it directly.
public enum ThemeKey: String, Sendable, Hashable, CaseIterable {
    /// Ordinary text.
    case text
    /// Secondary text: labels, units, timestamps, time in state.
    case dim
    /// The dashboard title and section titles.
    case title
    /// The node table's column titles.
    case tableHeader
    /// The column the table is sorted by.
    case tableHeaderSorted
    /// A HEALTHY node's state.
    case healthy
    /// A HALF-OPEN node's state.
    case halfOpen
    /// A BROKEN node's state.
    case broken
    /// Why a node is broken.
    case reason
    /// An injected fault.
    case fault
    /// Something needing attention: non-zero error rates, PAUSED, a lost connection.
    case warning
    /// Something fine: a live connection.
    case ok
    /// Sparkline levels 1 to 3 of 8.
    case sparkLow
    /// Sparkline levels 4 to 6.
    case sparkMid
    /// Sparkline levels 7 and 8.
    case sparkHigh
    /// Lines and boxes.
    case border
    /// A key in the help overlay.
    case key
    /// The status bar's background and hint texts.
    case statusBar
    /// A key in the status bar or the help overlay.
    case statusKey
    /// An info message on the status line.
    case statusMessage
    /// A warning on the status line.
    case statusWarning
    /// An error on the status line.
    case statusError
    /// The filter being typed.
    case input
}
