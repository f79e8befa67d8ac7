/// One cell of a ``ScreenBuffer``.
public struct Cell: Sendable, Hashable {
    /// The grapheme shown; a space for blank cells and for the right half of a wide grapheme.
    public var character: Character
    /// Cells the grapheme covers: 1, 2 for a wide grapheme, 0 for the right half of a wide grapheme (the
    /// terminal layer skips those).
    public var width: Int
    /// The style.
    public var style: ThemeKey
    /// The cell belongs to the selected row (drawn with the theme's selection background, or reversed).
    public var isSelected: Bool

    /// Turns the cell into a one-cell blank, keeping its style.
    mutating func reblank() {
        self.character = " "
        self.width = 1
    }

    /// A blank cell.
    public static let blank = Cell(character: " ", width: 1, style: .text, isSelected: false)

    /// Creates a cell.
    public init(character: Character, width: Int, style: ThemeKey, isSelected: Bool) {
        self.character = character
        self.width = width
        self.style = style
        self.isSelected = isSelected
    }
}

/// A width × height grid of styled cells: what ``Renderer`` draws and the terminal layer presents.
///
/// Writing is clipped to the grid, so nothing drawn can fall outside it, whatever the size (0×0 included).
/// Wide graphemes (CJK) take two cells; one that would straddle the right edge is replaced by a space.
public struct ScreenBuffer: Sendable, Hashable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Row-major cells, `width * height` of them.
    public private(set) var cells: [Cell]

    /// Creates a blank buffer. Negative sizes give an empty buffer.
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// The cell at a position, or `nil` outside the grid.
    public subscript(row: Int, column: Int) -> Cell? {
        guard (0..<self.height).contains(row), (0..<self.width).contains(column) else { return nil }
        return self.cells[row * self.width + column]
    }

    /// The rows as text, trailing blanks trimmed (as `tmux capture-pane` prints them); wide graphemes appear
    /// once.
    public var lines: [String] {
        self.paddedLines.map { line in
            var s = Substring(line)
            while s.last == " " { s.removeLast() }
            return String(s)
        }
    }

    /// The rows as text, each exactly ``width`` cells wide.
    public var paddedLines: [String] {
        (0..<self.height).map { row in
            var line = ""
            for cell in self.cells[(row * self.width)..<((row + 1) * self.width)] where cell.width > 0 {
                line.append(cell.character)
            }
            return line
        }
    }

    /// The style of each cell in a row, for tests: one ``ThemeKey`` per column.
    public func styles(row: Int) -> [ThemeKey] {
        guard (0..<self.height).contains(row) else { return [] }
        return self.cells[(row * self.width)..<((row + 1) * self.width)].map(\.style)
    }

    /// Writes text from a column, clipped to the grid and to `limit` columns (exclusive end).
    /// - Returns: The column after the last cell written.
    @discardableResult
    mutating func write(
        _ text: String, row: Int, column: Int, style: ThemeKey, selected: Bool = false, limit: Int? = nil
    ) -> Int {
        guard (0..<self.height).contains(row) else { return column }
        let end = min(limit ?? self.width, self.width)
        var col = column
        if DisplayWidth.isPrintableASCII(text) {
            // One cell per byte: no grapheme breaking, no width lookups.
            for byte in text.utf8 {
                if col >= end { return end }
                if col >= 0 { self.set(row, col, Character(Unicode.Scalar(byte)), 1, style, selected) }
                col += 1
            }
            return col
        }
        for character in text {
            let w = DisplayWidth.of(character)
            if w == 0 { continue }
            if col + w > end {
                if w == 2 && col < end && col >= 0 { self.set(row, col, " ", 1, style, selected) }
                return end
            }
            if col >= 0 { self.set(row, col, character, w, style, selected) }
            col += w
        }
        return col
    }

    /// Writes one single-cell grapheme (a sparkline level, a glyph); ignored outside the grid.
    mutating func put(_ character: Character, row: Int, column: Int, style: ThemeKey, selected: Bool = false) {
        guard (0..<self.height).contains(row), (0..<self.width).contains(column) else { return }
        self.set(row, column, character, 1, style, selected)
    }

    /// Fills columns `from..<to` of a row with spaces in a style.
    mutating func fill(row: Int, from: Int = 0, to: Int? = nil, style: ThemeKey, selected: Bool = false) {
        guard (0..<self.height).contains(row) else { return }
        let end = min(to ?? self.width, self.width)
        let start = max(0, from)
        guard start < end else { return }
        let base = row * self.width
        // Wide graphemes cut by the edges of the range lose their other half.
        if self.cells[base + start].width == 0 && start > 0 { self.cells[base + start - 1].reblank() }
        if end < self.width && self.cells[base + end].width == 0 { self.cells[base + end].reblank() }
        let blank = Cell(character: " ", width: 1, style: style, isSelected: selected)
        for col in start..<end { self.cells[base + col] = blank }
    }

    /// Sets the style of existing cells without changing their text.
    mutating func restyle(row: Int, from: Int, to: Int, style: ThemeKey) {
        guard (0..<self.height).contains(row) else { return }
        for col in max(0, from)..<max(max(0, from), min(to, self.width)) {
            self.cells[row * self.width + col].style = style
        }
    }

    private mutating func set(_ row: Int, _ col: Int, _ c: Character, _ w: Int, _ style: ThemeKey, _ sel: Bool) {
        let base = row * self.width
        // Overwriting half of a wide grapheme blanks its other half.
        if self.cells[base + col].width == 0 && col > 0 { self.cells[base + col - 1].reblank() }
        let lastCovered = col + w - 1
        if lastCovered + 1 < self.width && self.cells[base + lastCovered].width == 2 {
            self.cells[base + lastCovered + 1].reblank()
        }
        self.cells[base + col] = Cell(character: c, width: w, style: style, isSelected: sel)
        if w == 2 {
            self.cells[base + col + 1] = Cell(character: " ", width: 0, style: style, isSelected: sel)
        }
    }
}
