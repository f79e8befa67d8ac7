/// The glyphs the renderer draws, in Unicode or in plain ASCII (`--ascii`).
struct Glyphs {
    var ascii: Bool
    var ellipsis: Character { self.ascii ? "~" : "…" }
    var horizontal: Character { self.ascii ? "-" : "─" }
    var vertical: Character { self.ascii ? "|" : "│" }
    var topLeft: Character { self.ascii ? "+" : "┌" }
    var topRight: Character { self.ascii ? "+" : "┐" }
    var bottomLeft: Character { self.ascii ? "+" : "└" }
    var bottomRight: Character { self.ascii ? "+" : "┘" }
    var arrow: String { self.ascii ? "->" : "→" }
    var detail: String { self.ascii ? "`-" : "└" }
    var separator: String { self.ascii ? " | " : " · " }
    var cursor: Character { self.ascii ? "_" : "▏" }
    var marker: Character { ">" }
    /// Sparkline levels 1... (level 0, no data, is a space).
    var sparkLevels: [Character] {
        self.ascii ? [".", ":", "-", "=", "+", "*", "#"] : ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    }
}
