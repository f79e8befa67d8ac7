import KRPC
import KRPCPolicy
import Testing

@testable import KRPCRedis

@Suite("Reply mapping and parsing (no server)")
struct RedisValueTests {
    func parse(_ text: String) throws -> [RedisValue] {
        try RedisConnection.parse(resp: Array(text.utf8))
    }

    @Test("every RESP2 reply type maps to a RedisValue")
    func mapsEveryType() throws {
        let values = try self.parse(
            "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$3\r\nabc\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"
        )
        #expect(
            values == [
                .simpleString("OK"), .error("ERR wrong"), .integer(42), .integer(-7), .bulkString("abc"),
                .bulkString([]), .null, .null, .array([]), .array([.integer(1), .array([.bulkString("x")])]),
            ]
        )
    }

    @Test("bulk strings are binary-safe")
    func binary() throws {
        let payload: [UInt8] = [0, 255, 13, 10, 36, 0]
        let values = try RedisConnection.parse(resp: Array("$6\r\n".utf8) + payload + Array("\r\n".utf8))
        #expect(values == [.bulkString(payload)])
    }

    @Test("bytes that are not RESP are a protocol error, not a crash")
    func garbage() {
        let error = #expect(throws: RedisError.self) { try self.parse("?what\r\n") }
        #expect(error?.code == .protocolError)
    }

    @Test("accessors never trap on unexpected shapes")
    func accessors() {
        #expect(RedisValue.bulkString("12").integer == 12)
        #expect(RedisValue.bulkString("12x").integer == nil)
        #expect(RedisValue.bulkString("99999999999999999999999").integer == nil)
        #expect(RedisValue.null.string == nil)
        #expect(RedisValue.error("ERR").errorMessage == "ERR")
        #expect(RedisValue.integer(3).array == nil)
    }

    @Test("HGETALL replies: non-integer values and non-address fields are flagged, not counted")
    func hashParsing() {
        let key = ServiceKey(service: "S", method: "M")
        let calls = RedisValue.array([
            .bulkString("127.0.0.1:8000"), .bulkString("10"),
            .bulkString("127.0.0.1:9000"), .bulkString("abc"),
            .bulkString("not-an-address"), .bulkString("5"),
            .bulkString("127.0.0.1:10000"), .bulkString("-3"),
            .bulkString("[::1]:8000"), .bulkString("9223372036854775807"),
        ])
        let totals = CallTotals.parse(key, calls: calls, errors: .error("WRONGTYPE Operation against a key"))
        #expect(
            totals.callsByNode == [
                NodeAddress(host: "127.0.0.1", port: 8000): 10, NodeAddress(host: "::1", port: 8000): Int.max,
            ]
        )
        #expect(totals.calls == Int.max)  // saturates instead of trapping
        #expect(totals.errorsByNode.isEmpty)
        #expect(totals.malformed.map(\.field) == ["127.0.0.1:9000", "not-an-address", "127.0.0.1:10000", nil])
    }

    @Test("totals: the change since an earlier read, per node")
    func delta() {
        let key = ServiceKey(service: "S", method: "M")
        let (a, b, c) = (
            NodeAddress(host: "h", port: 1), NodeAddress(host: "h", port: 2), NodeAddress(host: "h", port: 3)
        )
        let before = CallTotals(key: key, callsByNode: [a: 10, b: 50], errorsByNode: [a: 1])
        let after = CallTotals(key: key, callsByNode: [a: 110, b: 20, c: 5], errorsByNode: [a: 4])
        let change = after.subtracting(before)
        #expect(change.callsByNode == [a: 100, b: 20, c: 5])  // b was reset: counts from zero
        #expect(change.errorsByNode == [a: 3])
        #expect(change.calls == 125)
    }

    @Test("fault key values: valid, malformed, absent, wrong type")
    func faultKey() {
        let valid = FaultKeyState.read(value: .bulkString("delay:250"), pttl: .integer(1500))
        #expect(
            valid.state
                == FaultKeyState(value: "delay:250", fault: .delay(milliseconds: 250), timeToLive: .milliseconds(1500)))
        #expect(valid.problem == nil)
        let noTTL = FaultKeyState.read(value: .bulkString("error"), pttl: .integer(-1))
        #expect(noTTL.state?.timeToLive == nil && noTTL.state?.fault == .error)
        let bad = FaultKeyState.read(value: .bulkString("error-rate:7"), pttl: .integer(-1))
        #expect(bad.state?.fault == nil && bad.problem != nil)
        #expect(FaultKeyState.read(value: .null, pttl: .integer(-2)).state == nil)
        let wrongType = FaultKeyState.read(value: .error("WRONGTYPE x"), pttl: .integer(-1))
        #expect(wrongType.state?.fault == nil && wrongType.problem != nil)
    }

    @Test("configuration: address parsing and validation name the field")
    func configuration() throws {
        let configuration = try RedisConfiguration(address: "10.0.0.5:6380")
        #expect(configuration.host == "10.0.0.5" && configuration.port == 6380)
        #expect(throws: RedisError.self) { try RedisConfiguration(address: "nonsense") }
        var bad = RedisConfiguration()
        bad.database = -1
        do {
            try bad.validate()
            Issue.record("a negative database must be refused")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("database"))
        }
    }
}
