public import NIOCore

// Hand-written protobuf codec for `krpc.FrameHeader` (Protos/krpc.proto). It produces exactly
// the bytes SwiftProtobuf produces for `KRPCFrameHeader` (fields in number order, defaults
// omitted), which the tests check, but writes straight into the frame's ByteBuffer and decodes
// without SwiftProtobuf's generic decoder: measured at 280-350 ns per header through
// SwiftProtobuf, a noticeable share of a ~10 µs call (shared/bench/FINDINGS.md, lesson 6).

extension FrameHeader {
    // Tags: (field number << 3) | wire type (0 = varint, 2 = length-delimited).
    static let tagKind: UInt8 = 0x08
    static let tagRequestID: UInt8 = 0x10
    static let tagService: UInt8 = 0x1A
    static let tagMethod: UInt8 = 0x22
    static let tagDeadline: UInt8 = 0x28
    static let tagStatus: UInt8 = 0x30
    static let tagMessage: UInt8 = 0x3A
    static let tagMetadata: UInt8 = 0x42
    // Inside a `krpc.MetadataEntry`.
    static let tagEntryKey: UInt8 = 0x0A
    static let tagEntryValue: UInt8 = 0x12

    /// The size of the encoded header in bytes.
    public var encodedSize: Int {
        var size = 0
        if self.kind != .request { size += 1 + varintSize(UInt64(self.kind.rawValue)) }
        if self.requestID != 0 { size += 1 + varintSize(self.requestID) }
        if !self.service.isEmpty { size += Self.stringFieldSize(self.service) }
        if !self.method.isEmpty { size += Self.stringFieldSize(self.method) }
        if self.deadlineMilliseconds != 0 { size += 1 + varintSize(UInt64(self.deadlineMilliseconds)) }
        if self.status != 0 { size += 1 + varintSize(UInt64(bitPattern: Int64(self.status))) }
        if !self.message.isEmpty { size += Self.stringFieldSize(self.message) }
        for entry in self.metadata {
            let entrySize = Self.entrySize(entry)
            size += 1 + varintSize(UInt64(entrySize)) + entrySize
        }
        return size
    }

    /// The size of one `krpc.MetadataEntry` message (without its tag and length).
    private static func entrySize(_ entry: KRPCMetadata.Entry) -> Int {
        let keyCount = entry.key.utf8.count
        let valueCount = entry.value.encodedCount
        return (keyCount == 0 ? 0 : 1 + varintSize(UInt64(keyCount)) + keyCount)
            + (valueCount == 0 ? 0 : 1 + varintSize(UInt64(valueCount)) + valueCount)
    }

    private static func stringFieldSize(_ s: String) -> Int {
        let n = s.utf8.count
        return 1 + varintSize(UInt64(n)) + n
    }

    /// Appends the protobuf encoding of this header to `buffer`.
    /// - Returns: the number of bytes written.
    @discardableResult
    public func encode(into buffer: inout ByteBuffer) -> Int {
        let start = buffer.writerIndex
        if self.kind != .request {
            buffer.writeInteger(Self.tagKind)
            buffer.writeVarint(UInt64(self.kind.rawValue))
        }
        if self.requestID != 0 {
            buffer.writeInteger(Self.tagRequestID)
            buffer.writeVarint(self.requestID)
        }
        if !self.service.isEmpty { Self.writeStringField(Self.tagService, self.service, into: &buffer) }
        if !self.method.isEmpty { Self.writeStringField(Self.tagMethod, self.method, into: &buffer) }
        if self.deadlineMilliseconds != 0 {
            buffer.writeInteger(Self.tagDeadline)
            buffer.writeVarint(UInt64(self.deadlineMilliseconds))
        }
        if self.status != 0 {
            buffer.writeInteger(Self.tagStatus)
            // int32 is sign-extended to 64 bits on the wire (a negative value takes 10 bytes).
            buffer.writeVarint(UInt64(bitPattern: Int64(self.status)))
        }
        if !self.message.isEmpty { Self.writeStringField(Self.tagMessage, self.message, into: &buffer) }
        for entry in self.metadata {
            buffer.writeInteger(Self.tagMetadata)
            buffer.writeVarint(UInt64(Self.entrySize(entry)))
            if !entry.key.isEmpty { Self.writeStringField(Self.tagEntryKey, entry.key, into: &buffer) }
            switch entry.value {
            case .string(let string):
                if !string.isEmpty { Self.writeStringField(Self.tagEntryValue, string, into: &buffer) }
            case .binary(let bytes):
                if !bytes.isEmpty {
                    buffer.writeInteger(Self.tagEntryValue)
                    buffer.writeVarint(UInt64(bytes.count))
                    buffer.writeBytes(bytes)
                }
            }
        }
        return buffer.writerIndex - start
    }

    private static func writeStringField(_ tag: UInt8, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(tag)
        var value = value
        value.withUTF8 { utf8 in
            buffer.writeVarint(UInt64(utf8.count))
            buffer.writeBytes(UnsafeRawBufferPointer(utf8))
        }
    }

    /// Decodes a header from all readable bytes of `buffer` (consumed).
    ///
    /// Unknown fields are skipped, as protobuf requires.
    /// - Throws: ``FrameDecodingError/malformedHeader(_:)`` when the bytes are not a valid header.
    public static func decode(from buffer: inout ByteBuffer) throws(FrameDecodingError) -> FrameHeader {
        var header = FrameHeader()
        var metadata = MetadataReader()
        while buffer.readableBytes > 0 {
            // A tag is a 32-bit varint of at most 5 bytes, as SwiftProtobuf and protoc read it: padded
            // encodings (e.g. `89 89 89 89 89 00`) are rejected, not read as the same number.
            guard let tag = buffer.readVarint(maxBytes: 5), tag <= UInt64(UInt32.max) else {
                throw .malformedHeader("truncated or overlong field tag")
            }
            let field = tag >> 3
            let wireType = tag & 7
            guard field != 0 else { throw .malformedHeader("field number 0") }
            switch (field, wireType) {
            case (1, 0):
                let raw = try Self.readVarintField(&buffer, "kind")
                guard raw <= UInt64(UInt8.max), let kind = FrameKind(rawValue: UInt8(raw)) else {
                    throw .malformedHeader("unknown frame kind \(raw)")
                }
                header.kind = kind
            case (2, 0):
                header.requestID = try Self.readVarintField(&buffer, "request_id")
            case (3, 2):
                header.service = try Self.readStringField(&buffer, "service")
            case (4, 2):
                header.method = try Self.readStringField(&buffer, "method")
            case (5, 0):
                // uint32: protobuf truncates a wider varint to 32 bits.
                header.deadlineMilliseconds = UInt32(truncatingIfNeeded: try Self.readVarintField(&buffer, "deadline_ms"))
            case (6, 0):
                header.status = Int32(truncatingIfNeeded: try Self.readVarintField(&buffer, "status"))
            case (7, 2):
                header.message = try Self.readStringField(&buffer, "message")
            case (8, 2):
                guard let length = buffer.readVarint(), length <= UInt64(buffer.readableBytes),
                    var entry = buffer.readSlice(length: Int(length))
                else {
                    throw .malformedHeader("metadata entry runs past the end of the header")
                }
                try metadata.read(&entry)
            case (1...8, _):
                throw .malformedHeader("field \(field) has wire type \(wireType)")
            default:
                try Self.skipField(&buffer, field: field, wireType: wireType)
            }
        }
        if !metadata.entries.isEmpty { header.metadata = KRPCMetadata(decodedEntries: metadata.entries) }
        return header
    }

    /// Collects the metadata entries of one header and keeps their limits.
    private struct MetadataReader {
        var entries: [KRPCMetadata.Entry] = []
        var bytes = 0

        /// Reads one `krpc.MetadataEntry` (all readable bytes of `buffer`).
        mutating func read(_ buffer: inout ByteBuffer) throws(FrameDecodingError) {
            guard self.entries.count < KRPCMetadata.maximumEntryCount else {
                throw .metadataTooLarge("more than \(KRPCMetadata.maximumEntryCount) metadata entries")
            }
            var key: ByteBuffer?
            var value: ByteBuffer?
            while buffer.readableBytes > 0 {
                guard let tag = buffer.readVarint(maxBytes: 5), tag <= UInt64(UInt32.max) else {
                    throw .malformedHeader("truncated or overlong field tag in a metadata entry")
                }
                let field = tag >> 3
                let wireType = tag & 7
                guard field != 0 else { throw .malformedHeader("field number 0 in a metadata entry") }
                switch (field, wireType) {
                case (1, 2), (2, 2):
                    guard let length = buffer.readVarint(), length <= UInt64(buffer.readableBytes),
                        let slice = buffer.readSlice(length: Int(length))
                    else {
                        throw .malformedHeader("metadata entry field \(field) runs past the end of the entry")
                    }
                    if field == 1 {
                        // A key is a protobuf `string`: every occurrence must be UTF-8, also one a later
                        // occurrence replaces (SwiftProtobuf refuses it; only the last is checked below).
                        guard String(validating: slice.readableBytesView, as: UTF8.self) != nil else {
                            throw .malformedHeader("metadata key is not UTF-8")
                        }
                        key = slice
                    } else {
                        value = slice
                    }
                case (1...2, _):
                    throw .malformedHeader("metadata entry field \(field) has wire type \(wireType)")
                default:
                    try FrameHeader.skipField(&buffer, field: field, wireType: wireType)
                }
            }
            let keyBytes = key?.readableBytesView ?? ByteBuffer().readableBytesView
            let valueCount = value?.readableBytes ?? 0
            self.bytes += keyBytes.count + valueCount
            guard self.bytes <= KRPCMetadata.maximumEncodedBytes else {
                throw .metadataTooLarge("metadata takes more than \(KRPCMetadata.maximumEncodedBytes) bytes")
            }
            guard KRPCMetadata.isValidKey(keyBytes) else {
                throw .malformedHeader("metadata key is not 1 or more of a-z 0-9 . _ -")
            }
            let keyString = String(decoding: keyBytes, as: UTF8.self)  // ASCII, checked above
            let valueBytes = value.map { Array($0.readableBytesView) } ?? []
            let decoded: KRPCMetadata.Value
            if keyString.hasSuffix("-bin") {
                decoded = .binary(valueBytes)
            } else if let string = String(validating: valueBytes, as: UTF8.self) {
                decoded = .string(string)
            } else {
                decoded = .binary(valueBytes)  // bytes that are not text: kept, as the peer sent them
            }
            self.entries.append(KRPCMetadata.Entry(key: keyString, value: decoded))
        }
    }

    private static func readVarintField(_ buffer: inout ByteBuffer, _ name: String) throws(FrameDecodingError) -> UInt64 {
        guard let value = buffer.readVarint() else { throw .malformedHeader("truncated varint in \(name)") }
        return value
    }

    private static func readStringField(_ buffer: inout ByteBuffer, _ name: String) throws(FrameDecodingError) -> String {
        guard let length = buffer.readVarint(), length <= UInt64(buffer.readableBytes) else {
            throw .malformedHeader("\(name) runs past the end of the header")
        }
        let count = Int(length)
        // Validated from contiguous bytes (NIO's readUTF8ValidatedString walks a ByteBufferView generically,
        // a measurable share of decoding a request header).
        let string: String? = buffer.withUnsafeReadableBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[..<count])
            // Service and method names are ASCII: valid UTF-8 as they are.
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let string else { throw .malformedHeader("\(name) is not valid UTF-8") }
        buffer.moveReaderIndex(forwardBy: count)
        return string
    }

    fileprivate static func skipField(_ buffer: inout ByteBuffer, field: UInt64, wireType: UInt64) throws(FrameDecodingError) {
        switch wireType {
        case 0:
            _ = try Self.readVarintField(&buffer, "field \(field)")
        case 1, 5:
            let size = wireType == 1 ? 8 : 4
            guard buffer.readableBytes >= size else { throw .malformedHeader("truncated field \(field)") }
            buffer.moveReaderIndex(forwardBy: size)
        case 2:
            guard let length = buffer.readVarint(), length <= UInt64(buffer.readableBytes) else {
                throw .malformedHeader("field \(field) runs past the end of the header")
            }
            buffer.moveReaderIndex(forwardBy: Int(length))
        default:
            throw .malformedHeader("field \(field) has unsupported wire type \(wireType)")
        }
    }
}
