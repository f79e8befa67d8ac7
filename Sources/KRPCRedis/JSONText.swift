/// Writes JSON values as UTF-8 bytes: for documents written often and whose shape is fixed (``FleetViewCodec``),
/// where `JSONEncoder` costs far more than the bytes.
enum JSONText {
    /// `value` as a JSON string: quotes, backslash and control characters escaped, everything else as it is.
    static func string(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `value` in decimal.
    static func integer(_ value: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// `value` as a JSON number: the shortest text that reads back as the same double (Swift's `description`,
    /// which is valid JSON for finite values: `12.5`, `1e-05`); an integral value without its `.0`. JSON has no
    /// infinity or NaN: those are written as 0 (callers clamp before).
    static func number(_ value: Double, into out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(UInt8(ascii: "0"))
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            self.integer(Int(value), into: &out)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }
}
