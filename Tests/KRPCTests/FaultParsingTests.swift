import KRPC
import Testing

@Suite("Fault values: what a fault key may hold")
struct FaultParsingTests {
    @Test(
        "each fault value parses, and prints back as itself",
        arguments: [
            ("error", Fault.error),
            ("timeout", .timeout),
            ("delay:0", .delay(milliseconds: 0)),
            ("delay:500", .delay(milliseconds: 500)),
            ("delay:86400000", .delay(milliseconds: 86_400_000)),
            ("error-rate:0.25", .errorRate(0.25)),
            (" error\n", .error),
            ("timeout\r\n", .timeout),
        ]
    )
    func parses(text: String, fault: Fault) throws {
        #expect(try Fault(parsing: text) == fault)
        #expect(try Fault(parsing: fault.description) == fault)
    }

    @Test(
        "anything else is a FaultParseError naming the value",
        arguments: [
            "", "errors", "delay", "delay:", "delay:-1", "delay:1.5", "delay:86400001", "delay:9223372036854775807",
            "delay:99999999999999999999", "error-rate:", "error-rate:1.5", "error-rate:-0.1", "error-rate:nan",
        ]
    )
    func rejects(text: String) {
        let error = #expect(throws: FaultParseError.self) { try Fault(parsing: text) }
        #expect(error?.description.contains("invalid fault value") == true)
    }
}
