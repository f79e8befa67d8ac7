/// Colour reduction for terminals with fewer colours: nearest xterm-256 entry, or the hue-keeping basic 8.
public enum ColorQuantizer {
    /// The channel levels of the xterm 6×6×6 colour cube (indices 16...231).
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The xterm-256 index nearest to a colour: the nearer of the closest colour-cube entry (16...231) and
    /// the closest grey of the ramp (232...255). The 16 system colours are never chosen, because terminals
    /// redefine them.
    public static func xterm256Index(red: UInt8, green: UInt8, blue: UInt8) -> Int {
        let rgb = [Int(red), Int(green), Int(blue)]
        let cube = rgb.map { v in
            Self.cubeLevels.indices.min { abs(Self.cubeLevels[$0] - v) < abs(Self.cubeLevels[$1] - v) } ?? 0
        }
        let cubeColor = cube.map { Self.cubeLevels[$0] }
        let cubeIndex = 16 + 36 * cube[0] + 6 * cube[1] + cube[2]
        let average = (rgb[0] + rgb[1] + rgb[2]) / 3
        let greyStep = min(23, max(0, (average - 3) / 10))
        let grey = 8 + 10 * greyStep
        let greyIndex = 232 + greyStep
        return Self.distance(rgb, [grey, grey, grey]) < Self.distance(rgb, cubeColor) ? greyIndex : cubeIndex
    }

    /// The RGB value of an xterm-256 index (the standard xterm palette for 0...15).
    public static func rgb(ofXterm256 index: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let i = min(max(index, 0), 255)
        let c: [Int]
        switch i {
        case 0..<16: c = Self.systemColors[i]
        case 16..<232:
            let n = i - 16
            c = [Self.cubeLevels[n / 36], Self.cubeLevels[n / 6 % 6], Self.cubeLevels[n % 6]]
        default:
            let v = 8 + 10 * (i - 232)
            c = [v, v, v]
        }
        return (UInt8(c[0]), UInt8(c[1]), UInt8(c[2]))
    }

    /// One of the 8 basic colours (0 black, 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white),
    /// keeping the hue rather than the nearest value: pastels keep their colour instead of turning white.
    ///
    /// Dark colours (no channel above 63) are black; greys (channels within 25 % of each other) are black or
    /// white by brightness; otherwise each channel at or above the midpoint of the strongest and weakest is "on",
    /// and the on-channels name the colour (red + green = yellow, and so on). The 8-colour palettes of
    /// terminals differ too much for nearest-value matching to mean anything.
    public static func ansi8Index(red: UInt8, green: UInt8, blue: UInt8) -> Int {
        let c = [Int(red), Int(green), Int(blue)]
        let high = c.max() ?? 0
        let low = c.min() ?? 0
        if high < 64 { return 0 }
        if (high - low) * 4 < high {
            return (c[0] + c[1] + c[2]) / 3 >= 128 ? 7 : 0
        }
        let mid = (high + low) / 2
        return c.enumerated().reduce(0) { bits, channel in
            channel.element >= mid ? bits | (1 << channel.offset) : bits
        }
    }

    /// xterm's default values for the 16 system colours.
    static let systemColors: [[Int]] = [
        [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205],
        [229, 229, 229], [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255],
        [0, 255, 255], [255, 255, 255],
    ]

    /// Squared distance, weighted for the eye's sensitivity (the "redmean" approximation).
    static func distance(_ a: [Int], _ b: [Int]) -> Int {
        let rMean = (a[0] + b[0]) / 2
        let dr = a[0] - b[0]
        let dg = a[1] - b[1]
        let db = a[2] - b[2]
        return ((512 + rMean) * dr * dr >> 8) + 4 * dg * dg + ((767 - rMean) * db * db >> 8)
    }
}
