import NIOCore

extension ByteBuffer {
    /// Writes `value` as a protobuf varint (unsigned LEB128).
    @discardableResult
    mutating func writeVarint(_ value: UInt64) -> Int {
        var v = value
        var n = 0
        while v >= 0x80 {
            n += self.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        n += self.writeInteger(UInt8(truncatingIfNeeded: v))
        return n
    }

    /// Reads a protobuf varint of at most `maxBytes` bytes; `nil` when the buffer ends first or
    /// the varint is longer than `maxBytes` (reader index unchanged then).
    mutating func readVarint(maxBytes: Int = 10) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = self.readerIndex
        let end = self.writerIndex
        var count = 0
        while index < end, count < maxBytes {
            guard let byte = self.getInteger(at: index, as: UInt8.self) else { return nil }
            index += 1
            count += 1
            // The 10th byte may carry only the 64th bit; more is not a 64-bit varint.
            if shift == 63, byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                self.moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        return nil
    }
}

/// Size in bytes of `value` as a varint.
func varintSize(_ value: UInt64) -> Int {
    // 1 + floor(log128(value)); 0 takes one byte.
    let bits = 64 - value.leadingZeroBitCount
    return bits == 0 ? 1 : (bits + 6) / 7
}
