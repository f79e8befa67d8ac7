/// A key press, as the terminal layer decodes it.
///
/// Printable keys are ``character(_:)`` (space is `.character(" ")`); control combinations are
/// ``control(_:)`` with the lower-case letter (`.control("c")` for Ctrl-C).
public enum Key: Sendable, Hashable {
    /// A printable character.
    case character(Character)
    /// Ctrl plus a letter, given in lower case.
    case control(Character)
    /// Arrow keys.
    case up, down, left, right
    /// Paging keys.
    case pageUp, pageDown, home, end
    /// Editing keys.
    case enter, escape, backspace, tab

    /// How the key is written in the help overlay and the status bar, e.g. `↑`, `space`, `^C`
    /// (`Up` instead of `↑` in ASCII mode).
    public func label(ascii: Bool) -> String {
        switch self {
        case .character(" "): "space"
        case .character(let c): String(c)
        case .control(let c): "^" + String(c).uppercased()
        case .up: ascii ? "Up" : "↑"
        case .down: ascii ? "Down" : "↓"
        case .left: ascii ? "Left" : "←"
        case .right: ascii ? "Right" : "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Bksp"
        case .tab: "Tab"
        }
    }
}
