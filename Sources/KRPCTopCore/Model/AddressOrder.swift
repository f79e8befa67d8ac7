public import KRPCPolicy

extension NodeAddress {
    /// Orders addresses the way people read them: hosts compared with their digit runs as numbers
    /// (`10.0.0.2` before `10.0.0.10`), then ports numerically.
    public static func naturallyPrecedes(_ a: NodeAddress, _ b: NodeAddress) -> Bool {
        AddressSortKey(a) < AddressSortKey(b)
    }
}

/// A node address prepared for natural ordering, so that sorting 200 nodes compares bytes, not Strings.
struct AddressSortKey: Comparable {
    let host: [UInt8]
    let port: Int

    init(_ address: NodeAddress) {
        self.host = Array(address.host.utf8)
        self.port = address.port
    }

    static func < (a: AddressSortKey, b: AddressSortKey) -> Bool {
        let order = Self.naturalCompare(a.host, b.host)
        return order != 0 ? order < 0 : a.port < b.port
    }

    static func == (a: AddressSortKey, b: AddressSortKey) -> Bool {
        a.host == b.host && a.port == b.port
    }

    /// Compares UTF-8 bytes, taking runs of ASCII digits by value: <0, 0 or >0.
    static func naturalCompare(_ x: [UInt8], _ y: [UInt8]) -> Int {
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        var i = 0
        var j = 0
        while i < x.count && j < y.count {
            if isDigit(x[i]) && isDigit(y[j]) {
                var si = i
                var sj = j
                while si < x.count && x[si] == 0x30 { si += 1 }  // leading zeros do not count
                while sj < y.count && y[sj] == 0x30 { sj += 1 }
                var ei = si
                var ej = sj
                while ei < x.count && isDigit(x[ei]) { ei += 1 }
                while ej < y.count && isDigit(y[ej]) { ej += 1 }
                if ei - si != ej - sj { return (ei - si) - (ej - sj) }  // more digits, larger number
                for k in 0..<(ei - si) where x[si + k] != y[sj + k] { return Int(x[si + k]) - Int(y[sj + k]) }
                i = ei
                j = ej
                continue
            }
            if x[i] != y[j] { return Int(x[i]) - Int(y[j]) }
            i += 1
            j += 1
        }
        if i < x.count || j < y.count { return i < x.count ? 1 : -1 }
        // Equal by value ("01" and "1"): fall back to the bytes so the order stays total.
        return x.lexicographicallyPrecedes(y) ? -1 : (y.lexicographicallyPrecedes(x) ? 1 : 0)
    }
}
