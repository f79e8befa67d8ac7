/// Number, latency, duration and time formatting for narrow columns. Every result fits the width its doc
/// comment gives, so columns line up.
enum Format {
    /// A count in at most 5 cells: `12345`, `123k`, `1.2M`, `12M`, `1.2G`.
    static func count(_ n: Int) -> String {
        let n = max(0, n)
        switch n {
        case ..<100_000: return "\(n)"
        case ..<1_000_000: return "\(n / 1000)k"
        case ..<10_000_000: return Self.tenths(n / 100_000) + "M"
        case ..<1_000_000_000: return "\(n / 1_000_000)M"
        case ..<10_000_000_000: return Self.tenths(n / 100_000_000) + "G"
        default: return "\(n / 1_000_000_000)G"
        }
    }

    /// A rate in at most 5 cells: `0.5`, `49.8`, `150`, `1.2k`, `12k`, `1.2M`, `1.2G`; past `999G`, `999G`.
    static func rate(_ r: Double) -> String {
        guard r.isFinite, r > 0 else { return "0" }
        // Rates come from Redis counters anyone can write: a huge one must print, not trap in Int(_:).
        let r = min(r, 1e12)
        let tenths = Int((r * 10).rounded())
        if tenths < 1000 { return tenths % 10 == 0 && tenths >= 100 ? "\(tenths / 10)" : Self.tenths(tenths) }
        let whole = Int(r.rounded())
        switch whole {
        case ..<1000: return "\(whole)"
        case ..<10_000: return Self.tenths(whole / 100) + "k"
        case ..<1_000_000: return "\(whole / 1000)k"
        case ..<10_000_000: return Self.tenths(whole / 100_000) + "M"
        case ..<1_000_000_000: return "\(whole / 1_000_000)M"
        case ..<10_000_000_000: return Self.tenths(whole / 100_000_000) + "G"
        default: return "\(min(whole / 1_000_000_000, 999))G"
        }
    }

    /// A latency in at most 5 cells: `412µs`, `1.2ms`, `123ms`, `1.23s`, `12.3s`, `123s`; `-` when unknown.
    static func latency(_ microseconds: Int?, ascii: Bool) -> String {
        guard let microseconds else { return "-" }
        let us = max(0, microseconds)
        switch us {
        case ..<1000: return "\(us)" + (ascii ? "us" : "µs")
        case ..<10_000: return Self.tenths(us / 100) + "ms"
        case ..<1_000_000: return "\(us / 1000)ms"
        case ..<10_000_000: return "\(us / 1_000_000).\(Self.pad2(us / 10_000 % 100))s"
        case ..<100_000_000: return Self.tenths(us / 100_000) + "s"
        default: return "\(min(us / 1_000_000, 9999))s"
        }
    }

    /// A percentage in at most 4 cells: `0.0%`, `0.3%`, `12%`, `100%`; `-` when unknown. A non-zero value
    /// never prints as `0.0%`.
    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value <= 0 { return "0.0%" }
        let p = min(value, 100)
        let tenths = max(1, Int((p * 10).rounded()))
        if tenths < 100 { return Self.tenths(tenths) + "%" }
        return "\(min(100, Int(p.rounded())))%"
    }

    /// Time in state in at most 4 cells: `4.2s`, `42s`, `12m`, `5h`, `3d`.
    static func age(_ d: Duration) -> String {
        let ms = Self.milliseconds(d)
        switch ms {
        case ..<10_000: return Self.tenths(ms / 100) + "s"
        case ..<60_000: return "\(ms / 1000)s"
        case ..<3_600_000: return "\(ms / 60_000)m"
        case ..<86_400_000: return "\(ms / 3_600_000)h"
        default: return "\(min(ms / 86_400_000, 9999))d"
        }
    }

    /// A countdown or TTL: `0.2s`, `42s`, `60s`, `2m05s`, `1h02m`.
    static func countdown(_ d: Duration) -> String {
        let ms = Self.milliseconds(d)
        switch ms {
        case ..<10_000: return Self.tenths(ms / 100) + "s"
        case ...60_999: return "\(ms / 1000)s"
        case ..<3_600_000: return "\(ms / 60_000)m\(Self.pad2(ms / 1000 % 60))s"
        default: return "\(ms / 3_600_000)h\(Self.pad2(ms / 60_000 % 60))m"
        }
    }

    /// Local wall-clock time `HH:MM:SS` of a Unix time.
    static func clock(_ unixTime: Double, utcOffsetSeconds: Int) -> String {
        guard unixTime.isFinite else { return "--:--:--" }
        let seconds = Int(min(max(unixTime, -1e15), 1e15).rounded(.down)) + utcOffsetSeconds
        let ofDay = ((seconds % 86_400) + 86_400) % 86_400
        return "\(Self.pad2(ofDay / 3600)):\(Self.pad2(ofDay / 60 % 60)):\(Self.pad2(ofDay % 60))"
    }

    /// ISO 8601 in UTC with milliseconds: `2026-11-24T12:03:04.120Z`.
    static func iso8601(_ unixTime: Double) -> String {
        guard unixTime.isFinite else { return "1970-01-01T00:00:00.000Z" }
        let totalMs = Int((min(max(unixTime, -1e13), 1e13) * 1000).rounded(.down))
        let ms = ((totalMs % 1000) + 1000) % 1000
        let seconds = (totalMs - ms) / 1000
        let ofDay = ((seconds % 86_400) + 86_400) % 86_400
        let days = (seconds - ofDay) / 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let yearDigits = "\(year)"
        let yearText = year >= 0 && year < 10000
            ? String(repeating: "0", count: 4 - yearDigits.count) + yearDigits : yearDigits
        return "\(yearText)-\(Self.pad2(month))-\(Self.pad2(day))T\(Self.pad2(ofDay / 3600)):"
            + "\(Self.pad2(ofDay / 60 % 60)):\(Self.pad2(ofDay % 60)).\(Self.pad3(ms))Z"
    }

    /// Whole milliseconds of a duration (negative durations count as zero).
    static func milliseconds(_ d: Duration) -> Int {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0 else { return 0 }
        let s = min(seconds, Int64(Int.max / 1000 - 1))
        return Int(s) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    private static func tenths(_ t: Int) -> String { "\(t / 10).\(t % 10)" }
    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    private static func pad3(_ n: Int) -> String { n < 10 ? "00\(n)" : (n < 100 ? "0\(n)" : "\(n)") }
}
