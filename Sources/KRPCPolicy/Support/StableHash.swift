/// A hash that is the same in every process and on every run (Swift's `Hasher` is randomly seeded per process,
/// which would make consistent hashing inconsistent between clients): 64-bit FNV-1a over the UTF-8 bytes, then the
/// SplitMix64/MurmurHash3 finaliser to spread FNV's weak low bits over the whole ring.
enum StableHash {
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return self.mix(hash)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
