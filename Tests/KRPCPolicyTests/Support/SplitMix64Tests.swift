import KRPCPolicy
import Testing

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("matches the reference implementation")
    func reference() {
        var rng = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423]
        #expect([rng.next(), rng.next(), rng.next()] == expected)
    }

    @Test("copies continue the same sequence; different seeds differ")
    func copies() {
        var one = SplitMix64(seed: 9)
        _ = one.next()
        var two = one
        #expect(one.next() == two.next())
        var a = SplitMix64(seed: 9)
        var b = SplitMix64(seed: 10)
        #expect(a.next() != b.next())
    }
}
