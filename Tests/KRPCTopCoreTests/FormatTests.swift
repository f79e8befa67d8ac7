import Testing
@testable import KRPCTopCore

@Suite("Formatting for narrow columns")
struct FormatTests {
    @Test("counts fit 5 cells", arguments: [
        (0, "0"), (99_999, "99999"), (100_000, "100k"), (999_999, "999k"), (1_234_567, "1.2M"),
        (12_345_678, "12M"), (999_999_999, "999M"), (1_500_000_000, "1.5G"), (-3, "0"),
    ])
    func count(n: Int, text: String) {
        #expect(Format.count(n) == text)
        #expect(text.count <= 5)
    }

    @Test("rates fit 5 cells", arguments: [
        (0.0, "0"), (0.04, "0.0"), (0.5, "0.5"), (9.96, "10"), (49.8, "49.8"), (50, "50"), (149.2, "149"),
        (999.4, "999"), (1234, "1.2k"), (56_789, "56k"), (2_500_000, "2.5M"), (-1, "0"), (.nan, "0"),
        (123_456_789, "123M"), (2.5e9, "2.5G"), (1e18, "999G"), (1e300, "999G"), (.infinity, "0"),
    ])
    func rate(r: Double, text: String) {
        #expect(Format.rate(r) == text)
        #expect(text.count <= 5)
    }

    @Test("latencies fit 5 cells", arguments: [
        (0, "0µs"), (412, "412µs"), (999, "999µs"), (1000, "1.0ms"), (1250, "1.2ms"), (12_345, "12ms"),
        (999_999, "999ms"), (1_234_567, "1.23s"), (12_345_678, "12.3s"), (123_456_789, "123s"),
    ])
    func latency(us: Int, text: String) {
        #expect(Format.latency(us, ascii: false) == text)
        #expect(text.count <= 5)
    }

    @Test("other formats")
    func others() {
        #expect(Format.latency(nil, ascii: false) == "-")
        #expect(Format.latency(412, ascii: true) == "412us")
        #expect(Format.percent(nil) == "-")
        #expect(Format.percent(0) == "0.0%")
        #expect(Format.percent(0.001) == "0.1%")  // never "0.0%" for a non-zero rate
        #expect(Format.percent(12.34) == "12%")
        #expect(Format.percent(100) == "100%")
        #expect(Format.percent(1e300) == "100%")  // a computed share past 100 % prints, not traps
        #expect(Format.age(.milliseconds(4200)) == "4.2s")
        #expect(Format.age(.seconds(42)) == "42s")
        #expect(Format.age(.seconds(754)) == "12m")
        #expect(Format.age(.seconds(5 * 3600)) == "5h")
        #expect(Format.age(.seconds(3 * 86400)) == "3d")
        #expect(Format.age(.seconds(-5)) == "0.0s")
        #expect(Format.countdown(.milliseconds(200)) == "0.2s")
        #expect(Format.countdown(.seconds(60)) == "60s")
        #expect(Format.countdown(.seconds(61)) == "1m01s")
        #expect(Format.countdown(.seconds(125)) == "2m05s")
        #expect(Format.countdown(.seconds(3720)) == "1h02m")
        #expect(Format.clock(Fixtures.t0, utcOffsetSeconds: 0) == "12:03:04")
        #expect(Format.clock(Fixtures.t0, utcOffsetSeconds: -13 * 3600) == "23:03:04")
        #expect(Format.clock(.nan, utcOffsetSeconds: 0) == "--:--:--")
        #expect(Format.iso8601(Fixtures.t0 + 0.12) == "2026-11-24T12:03:04.120Z")
        #expect(Format.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(Format.iso8601(951_782_400) == "2000-02-29T00:00:00.000Z")
        #expect(Format.iso8601(-1) == "1969-12-31T23:59:59.000Z")
    }
}
