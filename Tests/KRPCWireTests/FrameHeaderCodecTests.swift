import Foundation
import KRPCWire
import NIOCore
import SwiftProtobuf
import Testing

@Suite("Frame header codec")
struct FrameHeaderCodecTests {
    static let headers: [FrameHeader] = [
        FrameHeader(),
        .request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5000),
        .request(id: .max, service: "UserServiceRpc", method: "Login", deadlineMilliseconds: .max),
        .response(id: 42),
        .response(id: 7, status: 13, message: "injected error"),
        .response(id: 7, status: -1, message: "négatif ✓"),
        FrameHeader(kind: .cancel, requestID: 300),
        FrameHeader(kind: .goaway, status: 16, message: "frame length 5000000 exceeds the maximum 4194304"),
        .request(id: 3, service: "Echo", method: "Echo", deadlineMilliseconds: 20, metadata: ["traceparent": "00-ab-cd-01"]),
        .request(
            id: 4, service: "S", method: "M", deadlineMilliseconds: 0,
            metadata: KRPCMetadata([
                (key: "a", value: "1"), (key: "a", value: "2"), (key: "empty", value: ""),
                (key: "token-bin", value: .binary([0, 0xFF, 0x80])), (key: "zero-bin", value: .binary([])),
                (key: "long", value: .string(String(repeating: "é", count: 200))),
            ])
        ),
    ]

    static func reference(_ header: FrameHeader) -> KRPCFrameHeader {
        var message = KRPCFrameHeader()
        message.kind = KRPCFrameKind(rawValue: Int(header.kind.rawValue)) ?? .request
        message.requestID = header.requestID
        message.service = header.service
        message.method = header.method
        message.deadlineMs = header.deadlineMilliseconds
        message.status = header.status
        message.message = header.message
        message.metadata = header.metadata.map { entry in
            var reference = KRPCMetadataEntry()
            reference.key = entry.key
            switch entry.value {
            case .string(let string): reference.value = Data(string.utf8)
            case .binary(let bytes): reference.value = Data(bytes)
            }
            return reference
        }
        return message
    }

    @Test("encodes byte for byte as SwiftProtobuf does", arguments: Self.headers)
    func encodesLikeSwiftProtobuf(header: FrameHeader) throws {
        var buffer = ByteBuffer()
        let written = header.encode(into: &buffer)
        let expected: [UInt8] = try Self.reference(header).serializedBytes()
        #expect(Array(buffer.readableBytesView) == expected)
        #expect(written == expected.count)
        #expect(header.encodedSize == expected.count)
    }

    @Test("decodes what SwiftProtobuf encodes", arguments: Self.headers)
    func decodesSwiftProtobuf(header: FrameHeader) throws {
        let bytes: [UInt8] = try Self.reference(header).serializedBytes()
        var buffer = ByteBuffer(bytes: bytes)
        #expect(try FrameHeader.decode(from: &buffer) == header)
        #expect(buffer.readableBytes == 0)
    }

    @Test("the largest request id takes a 10-byte varint and decodes")
    func maximumVarint() throws {
        var buffer = ByteBuffer(bytes: [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try FrameHeader.decode(from: &buffer).requestID == .max)
    }

    @Test("skips unknown fields of every wire type")
    func skipsUnknownFields() throws {
        var buffer = ByteBuffer()
        FrameHeader.request(id: 9, service: "S", method: "M", deadlineMilliseconds: 10).encode(into: &buffer)
        buffer.writeBytes([0x60, 0x96, 0x01])  // field 12, varint 150
        buffer.writeBytes([0x49] + [UInt8](repeating: 1, count: 8))  // field 9, fixed64
        buffer.writeBytes([0x52, 0x03, 0x61, 0x62, 0x63])  // field 10, bytes "abc"
        buffer.writeBytes([0x5D, 1, 2, 3, 4])  // field 11, fixed32
        buffer.writeBytes([0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01])  // field 2^29 - 1 (the largest), varint 1: a 5-byte tag
        let header = try FrameHeader.decode(from: &buffer)
        #expect(header == .request(id: 9, service: "S", method: "M", deadlineMilliseconds: 10))
    }

    static let malformed: [(String, [UInt8])] = [
        ("truncated tag", [0x80]),
        ("field number 0", [0x00, 0x01]),
        ("truncated varint", [0x10, 0xFF]),
        ("string past the end", [0x1A, 0x05, 0x41]),
        ("invalid UTF-8", [0x1A, 0x02, 0xC3, 0x28]),
        ("wrong wire type for a known field", [0x12, 0x01, 0x41]),
        ("unknown frame kind", [0x08, 0x09]),
        ("group wire type", [0x43]),
        ("truncated fixed64", [0x49, 0x01]),
        ("varint over 64 bits", [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]),
        ("metadata entry past the end", [0x42, 0x05, 0x0A, 0x01, 0x61]),
        ("metadata key past the end of its entry", [0x42, 0x03, 0x0A, 0x05, 0x61]),
        ("metadata key missing", [0x42, 0x02, 0x12, 0x00]),
        ("metadata key upper-case", [0x42, 0x03, 0x0A, 0x01, 0x41]),
        ("metadata key with a space", [0x42, 0x04, 0x0A, 0x02, 0x61, 0x20]),
        ("metadata value with a wrong wire type", [0x42, 0x05, 0x0A, 0x01, 0x61, 0x10, 0x01]),
        ("metadata with a wrong wire type", [0x40, 0x01]),
        ("varint over 10 bytes", [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00]),
    ] + Self.malformedTags

    /// Tags SwiftProtobuf rejects too (found by the fuzzer: a tag padded to 6 bytes was read as its value).
    static let malformedTags: [(String, [UInt8])] = [
        ("tag padded to 6 bytes", [0x89, 0x89, 0x89, 0x89, 0x89, 0x00] + [UInt8](repeating: 0x44, count: 8)),
        ("tag over 32 bits", [0x89, 0x80, 0x80, 0x80, 0x10] + [UInt8](repeating: 0x44, count: 8)),
    ]

    @Test("rejects the tags SwiftProtobuf rejects", arguments: Self.malformedTags)
    func rejectsMalformedTagsAsSwiftProtobufDoes(name: String, bytes: [UInt8]) {
        #expect(throws: (any Error).self, "\(name): SwiftProtobuf accepts it") {
            try KRPCFrameHeader(serializedBytes: bytes)
        }
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: FrameDecodingError.self, "\(name)") { try FrameHeader.decode(from: &buffer) }
    }

    @Test("rejects malformed headers with malformedHeader", arguments: Self.malformed)
    func rejectsMalformed(name: String, bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            let header = try FrameHeader.decode(from: &buffer)
            Issue.record("\(name): decoded \(header)")
        } catch {
            guard case .malformedHeader = error else {
                Issue.record("\(name): expected malformedHeader, got \(error)")
                return
            }
        }
    }
}
