@testable import KRPCTopCore

extension ScreenBuffer {
    /// The first column where `needle` starts on a row (comparing cell by cell), or `nil`.
    func column(of needle: String, row: Int) -> Int? {
        let chars = Array(needle)
        guard !chars.isEmpty else { return nil }
        var col = 0
        while col < self.width {
            var c = col
            var matched = true
            for ch in chars {
                guard let cell = self[row, c], cell.character == ch, cell.width > 0 else {
                    matched = false
                    break
                }
                c += cell.width
            }
            if matched { return col }
            col += 1
        }
        return nil
    }

    /// The first row containing `needle`, or `nil`.
    func row(containing needle: String) -> Int? {
        self.lines.firstIndex { $0.contains(needle) }
    }

    /// The style of the cell where `needle` starts on a row.
    func style(of needle: String, row: Int) -> ThemeKey? {
        self.column(of: needle, row: row).flatMap { self[row, $0]?.style }
    }
}

extension ViewState {
    /// ``apply(_:)`` for tests that only care about the state.
    @discardableResult
    mutating func feed(_ event: TopEvent) -> [Effect] {
        self.apply(event)
    }
}
