/// A colour theme: one ``ThemeColor`` per ``Slot``. Themes are data (`themes/*.theme`, read by
/// ``ThemeParser``); the built-in ``default`` is the schema every file is checked against.
public struct Theme: Sendable, Hashable {
    /// The colours a theme sets; the raw value is the key in a theme file.
    public enum Slot: String, Sendable, Hashable, CaseIterable {
        /// Background of everything but the status bar.
        case mainBackground = "main_bg"
        /// Ordinary text.
        case mainForeground = "main_fg"
        /// Labels, units, timestamps, time in state.
        case dimForeground = "dim_fg"
        /// The title and section titles.
        case titleForeground = "title_fg"
        /// The node table's column titles.
        case headerForeground = "header_fg"
        /// The selected row's background; `default` reverses the row instead.
        case selectedBackground = "selected_bg"
        /// Text on the selected row.
        case selectedForeground = "selected_fg"
        /// HEALTHY nodes.
        case healthyForeground = "healthy_fg"
        /// HALF-OPEN nodes.
        case halfOpenForeground = "half_open_fg"
        /// BROKEN nodes and their reasons.
        case brokenForeground = "broken_fg"
        /// Injected faults.
        case faultForeground = "fault_fg"
        /// Non-zero error rates, PAUSED, lost connections.
        case warningForeground = "warning_fg"
        /// Live connections, faults cleared.
        case okForeground = "ok_fg"
        /// Sparkline, low latencies.
        case sparkLowForeground = "spark_low_fg"
        /// Sparkline, middle latencies.
        case sparkMidForeground = "spark_mid_fg"
        /// Sparkline, high latencies.
        case sparkHighForeground = "spark_high_fg"
        /// Lines and boxes.
        case borderForeground = "border_fg"
        /// Keys in the help overlay.
        case keyForeground = "key_fg"
        /// The status bar's background; `default` reverses the bar instead.
        case statusBackground = "status_bg"
        /// Hint texts in the status bar.
        case statusForeground = "status_fg"
        /// Keys in the status bar.
        case statusKeyForeground = "status_key_fg"
        /// Info messages in the status bar.
        case statusMessageForeground = "status_message_fg"
        /// Warnings in the status bar.
        case statusWarningForeground = "status_warning_fg"
        /// Errors in the status bar.
        case statusErrorForeground = "status_error_fg"
    }

    /// The theme's name (its file name without `.theme`).
    public var name: String
    /// Every slot's colour.
    public var colors: [Slot: ThemeColor]

    /// Creates a theme; slots not given take the built-in default's colour.
    public init(name: String, colors: [Slot: ThemeColor]) {
        self.name = name
        self.colors = colors
    }

    /// A slot's colour (the terminal default if the theme somehow lacks it).
    public subscript(slot: Slot) -> ThemeColor {
        self.colors[slot] ?? Theme.default.colors[slot] ?? .terminalDefault
    }

    /// The built-in dark theme, and the schema: `themes/default.theme` holds the same colours.
    public static let `default` = Theme(name: "default", colors: [
        .mainBackground: .terminalDefault,
        .mainForeground: .rgb(red: 0xd0, green: 0xd0, blue: 0xd0),
        .dimForeground: .rgb(red: 0x8a, green: 0x8a, blue: 0x8a),
        .titleForeground: .rgb(red: 0x5f, green: 0xaf, blue: 0xff),
        .headerForeground: .rgb(red: 0xaf, green: 0xaf, blue: 0xaf),
        .selectedBackground: .rgb(red: 0x30, green: 0x40, blue: 0x5a),
        .selectedForeground: .rgb(red: 0xff, green: 0xff, blue: 0xff),
        .healthyForeground: .rgb(red: 0x5f, green: 0xd7, blue: 0x5f),
        .halfOpenForeground: .rgb(red: 0xff, green: 0xd7, blue: 0x5f),
        .brokenForeground: .rgb(red: 0xff, green: 0x5f, blue: 0x5f),
        .faultForeground: .rgb(red: 0xd7, green: 0x87, blue: 0xff),
        .warningForeground: .rgb(red: 0xff, green: 0xaf, blue: 0x00),
        .okForeground: .rgb(red: 0x5f, green: 0xd7, blue: 0x5f),
        .sparkLowForeground: .rgb(red: 0x5f, green: 0x87, blue: 0xaf),
        .sparkMidForeground: .rgb(red: 0x87, green: 0xaf, blue: 0xd7),
        .sparkHighForeground: .rgb(red: 0xff, green: 0x87, blue: 0x5f),
        .borderForeground: .rgb(red: 0x58, green: 0x58, blue: 0x58),
        .keyForeground: .rgb(red: 0x5f, green: 0xaf, blue: 0xff),
        .statusBackground: .rgb(red: 0x26, green: 0x26, blue: 0x26),
        .statusForeground: .rgb(red: 0xbc, green: 0xbc, blue: 0xbc),
        .statusKeyForeground: .rgb(red: 0x5f, green: 0xaf, blue: 0xff),
        .statusMessageForeground: .rgb(red: 0x87, green: 0xd7, blue: 0x87),
        .statusWarningForeground: .rgb(red: 0xff, green: 0xaf, blue: 0x00),
        .statusErrorForeground: .rgb(red: 0xff, green: 0x5f, blue: 0x5f),
    ])

    /// No colours at all, only attributes (bold, reverse, dim): used under `NO_COLOR` and on monochrome
    /// terminals. `themes/monochrome.theme` holds the same.
    public static let monochrome = Theme(
        name: "monochrome", colors: Dictionary(uniqueKeysWithValues: Slot.allCases.map { ($0, .terminalDefault) }))
}
