/// Everything that reaches krpc-top's UI loop, as one enum (bottom's `BottomEvent`).
///
/// The loop feeds each event to ``ViewState/apply(_:)``, executes the returned ``Effect``s and redraws with
/// ``Renderer/render(_:options:)``.
public enum TopEvent: Sendable, Hashable {
    /// A key press.
    case key(Key)
    /// A mouse action.
    case mouse(MouseEvent)
    /// A new snapshot from the collector.
    case snapshot(DashboardSnapshot)
    /// The terminal's new size.
    case resize(ScreenSize)
    /// Time passes: the time since krpc-top started (any monotonic origin will do). Expires status messages.
    case tick(Duration)
    /// A command, as if its key had been pressed (for tests and for callers other than the keyboard).
    case command(Command)
    /// A message for the status line from the wiring layer, e.g. the outcome of an ``Effect``
    /// (`could not set fault: redis disconnected`).
    case message(StatusMessage.Severity, String)
}

/// A mouse action, in screen cells (row 0 is the top line).
public enum MouseEvent: Sendable, Hashable {
    /// A click: selects the node shown on that row, if any.
    case click(row: Int, column: Int)
    /// The wheel turned up: selects the previous node.
    case wheelUp
    /// The wheel turned down: selects the next node.
    case wheelDown
}

/// A terminal size in cells. Negative values are treated as zero.
public struct ScreenSize: Sendable, Hashable, CustomStringConvertible {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int

    /// Creates a size; negative values become zero.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// `80x24`.
    public var description: String { "\(self.width)x\(self.height)" }
}
