/// One entry of the ``KeyMap``: the keys that trigger a command and the texts that explain it.
public struct KeyBinding: Sendable, Hashable {
    /// Every key that triggers ``command``; the first ones are shown in the help.
    public var keys: [Key]
    /// The command.
    public var command: Command
    /// The help overlay's description, e.g. `inject an error on the selected node`.
    public var help: String
    /// The status bar's short hint, e.g. `error`; `nil` keeps the binding out of the bar.
    public var hint: String?
    /// Higher hints survive longer when the status bar is narrow.
    public var hintPriority: Int

    /// Creates a binding.
    public init(_ keys: [Key], _ command: Command, help: String, hint: String? = nil, hintPriority: Int = 0) {
        self.keys = keys
        self.command = command
        self.help = help
        self.hint = hint
        self.hintPriority = hintPriority
    }

    /// The keys as written in the help, e.g. `↑/k` (`Up/k` in ASCII mode).
    public func label(ascii: Bool) -> String {
        self.keys.map { $0.label(ascii: ascii) }.joined(separator: "/")
    }
}

/// The key table: it drives both dispatch (``command(for:)``) and the help texts (the overlay and the status
/// bar hints), so the two cannot disagree (k9s `KeyActions` and `Hints()`).
///
/// ```swift
/// KeyMap.standard.command(for: .character("e"))  // .injectError
/// ```
public struct KeyMap: Sendable, Hashable {
    /// The bindings, in help-overlay order.
    public private(set) var bindings: [KeyBinding]
    private var index: [Key: Command]

    /// Creates a table. When two bindings claim the same key, the first one wins.
    public init(_ bindings: [KeyBinding]) {
        self.bindings = bindings
        var index: [Key: Command] = [:]
        for binding in bindings {
            for key in binding.keys where index[key] == nil {
                index[key] = binding.command
            }
        }
        self.index = index
    }

    /// The command a key triggers, or `nil` when the key is unbound.
    public func command(for key: Key) -> Command? {
        self.index[key]
    }

    /// The bindings that have a status bar hint, highest ``KeyBinding/hintPriority`` first.
    public var hints: [KeyBinding] {
        self.bindings.filter { $0.hint != nil }.sorted { $0.hintPriority > $1.hintPriority }
    }

    /// krpc-top's keys (issue 7): ↑/↓ or j/k select, `e` `t` `d` `c` faults, `+`/`-` rate, space pause,
    /// `b` balancer, `s` sort, `/` filter, `T` theme, `?` help, `q` or Ctrl-C quit; `p` and `h` partition and heal
    /// the selected node in the demo's hosts mode (issue 16).
    public static let standard = KeyMap([
        KeyBinding([.up, .character("k")], .selectPrevious, help: "select the previous node"),
        KeyBinding([.down, .character("j")], .selectNext, help: "select the next node"),
        KeyBinding([.pageUp], .pageUp, help: "one screen up"),
        KeyBinding([.pageDown], .pageDown, help: "one screen down"),
        KeyBinding([.home, .character("g")], .selectFirst, help: "select the first node"),
        KeyBinding([.end, .character("G")], .selectLast, help: "select the last node"),
        KeyBinding([.character("e")], .injectError, help: "inject errors on the selected node", hint: "error",
                   hintPriority: 90),
        KeyBinding([.character("t")], .injectTimeout, help: "inject timeouts on the selected node",
                   hint: "timeout", hintPriority: 89),
        KeyBinding([.character("d")], .injectDelay, help: "inject a delay on the selected node", hint: "delay",
                   hintPriority: 88),
        KeyBinding([.character("c")], .clearFault, help: "clear the selected node's fault", hint: "clear",
                   hintPriority: 87),
        KeyBinding([.character("p")], .partitionNode,
                   help: "cut the selected node off from this host (hosts mode)"),
        KeyBinding([.character("h")], .healNode, help: "heal the selected node's partition (hosts mode)"),
        KeyBinding([.character("+")], .increaseRate, help: "raise the call rate", hint: "rate",
                   hintPriority: 70),
        KeyBinding([.character("-")], .decreaseRate, help: "lower the call rate"),
        KeyBinding([.character(" ")], .togglePause, help: "pause or resume the load", hint: "pause",
                   hintPriority: 60),
        KeyBinding([.character("b")], .cycleBalancer, help: "next load balancer", hint: "balancer",
                   hintPriority: 65),
        KeyBinding([.character("s")], .cycleSort, help: "next sort order", hint: "sort", hintPriority: 80),
        KeyBinding([.character("/")], .beginFilter, help: "filter nodes by address", hint: "filter",
                   hintPriority: 75),
        KeyBinding([.character("T")], .cycleTheme, help: "next theme", hint: "theme", hintPriority: 50),
        KeyBinding([.enter], .open, help: "open a method's nodes, or a node's detail"),
        KeyBinding([.tab], .toggleLogFocus, help: "focus the event log, or the table again", hint: "log",
                   hintPriority: 74),
        KeyBinding([.escape, .left], .dismiss, help: "close help, clear the filter, else go back"),
        KeyBinding([.character("?")], .toggleHelp, help: "show or hide this help", hint: "help",
                   hintPriority: 99),
        KeyBinding([.character("q"), .control("c")], .quit, help: "quit", hint: "quit", hintPriority: 100),
    ])
}
