import KRPCWire
import NIOCore
import SwiftProtobuf
import Testing

@Suite("Frame header metadata (field 8)")
struct FrameHeaderMetadataTests {
    static func encoded(_ header: FrameHeader) -> ByteBuffer {
        var buffer = ByteBuffer()
        header.encode(into: &buffer)
        return buffer
    }

    @Test("round trip: order, repeated keys, empty and binary values; a '-bin' key decodes as bytes")
    func roundTrip() throws {
        var metadata: KRPCMetadata = ["Tenant": "acme"]
        metadata.addString("1", forKey: "x")
        metadata.addString("2", forKey: "x")
        metadata.addBinary([0xC3, 0x28], forKey: "raw-bin")  // not UTF-8
        metadata.addString("", forKey: "empty")
        let header = FrameHeader.request(id: 5, service: "S", method: "M", deadlineMilliseconds: 9, metadata: metadata)
        var buffer = Self.encoded(header)
        let decoded = try FrameHeader.decode(from: &buffer)
        #expect(decoded == header)
        #expect(decoded.metadata.map(\.key) == ["tenant", "x", "x", "raw-bin", "empty"])
        #expect(decoded.metadata[stringValues: "x"] == ["1", "2"])
        #expect(decoded.metadata[binaryValues: "raw-bin"] == [[0xC3, 0x28]])
    }

    @Test("bytes that are not UTF-8 under a key without '-bin' are kept as binary, not refused")
    func nonUTF8Value() throws {
        var buffer = ByteBuffer(bytes: [0x10, 0x01, 0x42, 0x07, 0x0A, 0x01, 0x6B, 0x12, 0x02, 0xC3, 0x28])
        let header = try FrameHeader.decode(from: &buffer)
        #expect(header.metadata.map(\.key) == ["k"])
        #expect(header.metadata.map(\.value) == [.binary([0xC3, 0x28])])
    }

    @Test("a decoder that predates field 8 skips it: the same entry bytes under an unknown field number decode")
    func oldPeerSkips() throws {
        // An old decoder meets field 8 as an unknown length-delimited field: the path that skips field 15 here.
        let header = FrameHeader.request(
            id: 7, service: "Echo", method: "Echo", deadlineMilliseconds: 100, metadata: ["traceparent": "00-1-2-01"]
        )
        var bytes = Array(Self.encoded(header).readableBytesView)
        let tagIndex = try #require(bytes.firstIndex(of: 0x42))
        bytes[tagIndex] = 0x7A  // field 15, wire type 2
        var buffer = ByteBuffer(bytes: bytes)
        let decoded = try FrameHeader.decode(from: &buffer)
        #expect(decoded == .request(id: 7, service: "Echo", method: "Echo", deadlineMilliseconds: 100))
        // And SwiftProtobuf's generated type reads our bytes with the field (a client in another language).
        let reference = try KRPCFrameHeader(serializedBytes: Array(Self.encoded(header).readableBytesView))
        #expect(reference.metadata.map(\.key) == ["traceparent"])
        #expect(reference.requestID == 7)
    }

    @Test("an entry whose key comes twice, the first not UTF-8, is malformed, as SwiftProtobuf finds it (fuzzer's find)")
    func replacedKeyNotUTF8() throws {
        // Field 8, 14 bytes: key "tc\u{8D}\u{9A}B\n" (not UTF-8), then key "t-0b", which a decoder keeps.
        let bytes: [UInt8] = [66, 14, 10, 6, 116, 99, 141, 154, 66, 10, 10, 4, 116, 45, 48, 98]
        #expect(throws: (any Error).self) { try KRPCFrameHeader(serializedBytes: bytes) }
        var buffer = ByteBuffer(bytes: bytes)
        let error = #expect(throws: FrameDecodingError.self) { try FrameHeader.decode(from: &buffer) }
        #expect("\(String(describing: error))".contains("not UTF-8"))
    }

    @Test("a header without metadata decodes with empty metadata, and encodes no field 8")
    func withoutMetadata() throws {
        let header = FrameHeader.request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5000)
        let bytes = Array(Self.encoded(header).readableBytesView)
        #expect(
            bytes == [
                0x10, 0x01, 0x1A, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x22, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x28, 0x88, 0x27,
            ])
        var buffer = ByteBuffer(bytes: bytes)
        #expect(try FrameHeader.decode(from: &buffer).metadata.isEmpty)
    }

    @Test("limits: 64 entries and 8192 bytes decode; one entry or one byte more is metadataTooLarge")
    func limits() throws {
        var atCount = KRPCMetadata()
        for i in 0..<KRPCMetadata.maximumEntryCount { atCount.addString("", forKey: "k\(i)") }
        var buffer = Self.encoded(
            .request(id: 1, service: "S", method: "M", deadlineMilliseconds: 0, metadata: atCount))
        #expect(try FrameHeader.decode(from: &buffer).metadata.count == KRPCMetadata.maximumEntryCount)

        var overCount = atCount
        overCount.addString("", forKey: "one-more")
        buffer = Self.encoded(.request(id: 1, service: "S", method: "M", deadlineMilliseconds: 0, metadata: overCount))
        #expect(throws: FrameDecodingError.metadataTooLarge("more than 64 metadata entries")) {
            try FrameHeader.decode(from: &buffer)
        }

        let value = String(repeating: "v", count: KRPCMetadata.maximumEncodedBytes - 1)
        buffer = Self.encoded(
            .request(id: 1, service: "S", method: "M", deadlineMilliseconds: 0, metadata: ["k": .string(value)]))
        #expect(try FrameHeader.decode(from: &buffer).metadata.encodedBytes == KRPCMetadata.maximumEncodedBytes)

        buffer = Self.encoded(
            .request(id: 1, service: "S", method: "M", deadlineMilliseconds: 0, metadata: ["k": .string(value + "v")])
        )
        #expect(throws: FrameDecodingError.metadataTooLarge("metadata takes more than 8192 bytes")) {
            try FrameHeader.decode(from: &buffer)
        }
        #expect(KRPCMetadata(["k": .string(value + "v")]).wireViolation() != nil)
        #expect(overCount.wireViolation() != nil)
        #expect(atCount.wireViolation() == nil)
    }

    @Test("a frame whose metadata is over the limit is a typed error from the parser")
    func parserLimit() throws {
        var tooMany = KRPCMetadata()
        for i in 0...KRPCMetadata.maximumEntryCount { tooMany.addString("v", forKey: "k\(i)") }
        var frame = ByteBuffer()
        frame.writeKRPCFrame(
            header: .request(id: 1, service: "S", method: "M", deadlineMilliseconds: 0, metadata: tooMany),
            payload: [UInt8]()
        )
        var accumulator = FrameAccumulator(parser: FrameParser())
        accumulator.append(&frame)
        #expect(throws: FrameDecodingError.self) { try accumulator.next() }
    }
}
