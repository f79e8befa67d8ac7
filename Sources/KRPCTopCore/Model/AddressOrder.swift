public import KRPCPolicy

extension NodeAddress {
    /// Orders addresses the way people read them: hosts compared with their digit runs as numbers
    /// (`10.0.0.2` before `10.0.0.10`), then ports numerically.
    public static func naturallyPrecedes(_ a: NodeAddress, _ b: NodeAddress) -> Bool {
        switch Self.naturalCompare(a.host, b.host) {
        case .orderedAscending: return true
        case .orderedDescending: return false
        case .orderedSame: return a.port < b.port
        }
    }

    enum Order { case orderedAscending, orderedSame, orderedDescending }

    static func naturalCompare(_ a: String, _ b: String) -> Order {
        var i = a.unicodeScalars.makeIterator()
        var j = b.unicodeScalars.makeIterator()
        var x = i.next()
        var y = j.next()
        while let cx = x, let cy = y {
            if Self.isDigit(cx) && Self.isDigit(cy) {
                // Compare digit runs by value: skip leading zeros, then longer is larger, then digit by digit.
                var runX: [Unicode.Scalar] = []
                var runY: [Unicode.Scalar] = []
                while let c = x, Self.isDigit(c) { runX.append(c); x = i.next() }
                while let c = y, Self.isDigit(c) { runY.append(c); y = j.next() }
                let trimmedX = runX.drop { $0 == "0" }
                let trimmedY = runY.drop { $0 == "0" }
                if trimmedX.count != trimmedY.count {
                    return trimmedX.count < trimmedY.count ? .orderedAscending : .orderedDescending
                }
                for (dx, dy) in zip(trimmedX, trimmedY) where dx != dy {
                    return dx.value < dy.value ? .orderedAscending : .orderedDescending
                }
                continue
            }
            if cx != cy { return cx.value < cy.value ? .orderedAscending : .orderedDescending }
            x = i.next()
            y = j.next()
        }
        switch (x, y) {
        case (nil, nil): return a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
        case (nil, _): return .orderedAscending
        default: return .orderedDescending
        }
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}
