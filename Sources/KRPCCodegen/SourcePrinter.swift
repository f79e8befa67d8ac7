/// Lines of Swift source with an indentation level (4 spaces).
struct SourcePrinter {
    private(set) var content = ""
    private var indentation = ""

    /// Prints each line of `text` at the current indentation; an empty line stays empty.
    mutating func print(_ text: String = "") {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            self.content += line.isEmpty ? "\n" : self.indentation + line + "\n"
        }
    }

    /// Prints the lines of a `.proto` comment block (ending in a newline, or empty) and an empty
    /// `///` line after it, so that what follows starts a paragraph of its own.
    mutating func printComment(_ comment: String) {
        guard !comment.isEmpty else { return }
        var text = comment
        if text.hasSuffix("\n") { text.removeLast() }
        self.print(text)
        self.print("///")
    }

    /// Prints `header`, then `body` one level deeper, then `}`.
    mutating func block(_ header: String, body: (inout SourcePrinter) -> Void) {
        self.print(header + " {")
        self.indentation += "    "
        body(&self)
        self.indentation.removeLast(4)
        self.print("}")
    }
}
