import KRPCWire
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// Builds frames by hand for the tests.
enum Frames {
    static func bytes(_ header: FrameHeader, payload: [UInt8] = []) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeKRPCFrame(header: header, payload: payload)
        return buffer
    }

    static func frame(_ header: FrameHeader, payload: [UInt8] = []) -> Frame {
        Frame(header: header, payload: ByteBuffer(bytes: payload))
    }

    /// A length prefix followed by `rest`.
    static func raw(length: UInt32, _ rest: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(length)
        buffer.writeBytes(rest)
        return buffer
    }
}

@Suite("Frame decoder")
struct FrameDecoderTests {
    static let sample: [(FrameHeader, [UInt8])] = [
        (.request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5000), [0x0A, 0x02, 0x68, 0x69]),
        (.request(id: 2, service: "UserServiceRpc", method: "Login", deadlineMilliseconds: 0), []),
        (.response(id: 1), Array(repeating: 0x61, count: 300)),
        (.response(id: 2, status: 6, message: "UserServiceRpc has no method 'Logout'"), []),
        (FrameHeader(kind: .cancel, requestID: 3), []),
    ]

    @Test("ByteToMessageDecoderVerifier: byte at a time, batched, whole")
    func verifier() throws {
        var pairs: [(ByteBuffer, [Frame])] = Self.sample.map { header, payload in
            (Frames.bytes(header, payload: payload), [Frames.frame(header, payload: payload)])
        }
        // Many frames in one input.
        var all = ByteBuffer()
        var allFrames: [Frame] = []
        for (header, payload) in Self.sample {
            all.writeKRPCFrame(header: header, payload: payload)
            allFrames.append(Frames.frame(header, payload: payload))
        }
        pairs.append((all, allFrames))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { FrameDecoder() }
    }

    @Test("the documented example frame is byte-exact")
    func documentedExample() throws {
        let bytes = Frames.bytes(
            .request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5000),
            payload: [0x0A, 0x02, 0x68, 0x69]
        )
        let expected: [UInt8] = [
            0x00, 0x00, 0x00, 0x19, 0x6B, 0x72, 0x01, 0x11,
            0x10, 0x01, 0x1A, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x22, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x28, 0x88, 0x27,
            0x0A, 0x02, 0x68, 0x69,
        ]
        #expect(Array(bytes.readableBytesView) == expected)
    }

    @Test("the documented example frame with metadata is byte-exact")
    func documentedMetadataExample() throws {
        let bytes = Frames.bytes(
            .request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5000, metadata: ["tenant": "acme"]),
            payload: [0x0A, 0x02, 0x68, 0x69]
        )
        let expected: [UInt8] = [
            0x00, 0x00, 0x00, 0x29, 0x6B, 0x72, 0x01, 0x21,
            0x10, 0x01, 0x1A, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x22, 0x04, 0x45, 0x63, 0x68, 0x6F, 0x28, 0x88, 0x27,
            0x42, 0x0E, 0x0A, 0x06, 0x74, 0x65, 0x6E, 0x61, 0x6E, 0x74, 0x12, 0x04, 0x61, 0x63, 0x6D, 0x65,
            0x0A, 0x02, 0x68, 0x69,
        ]
        #expect(Array(bytes.readableBytesView) == expected)
    }

    @Test("every split of a stream of frames gives the same frames")
    func everySplit() throws {
        var stream = ByteBuffer()
        for (header, payload) in Self.sample { stream.writeKRPCFrame(header: header, payload: payload) }
        let expected = Self.sample.map { Frames.frame($0.0, payload: $0.1) }
        for split in 0...stream.readableBytes {
            var accumulator = FrameAccumulator()
            var first = stream.getSlice(at: 0, length: split)!
            var second = stream.getSlice(at: split, length: stream.readableBytes - split)!
            var got: [Frame] = []
            accumulator.append(&first)
            while let frame = try accumulator.next() { got.append(frame) }
            accumulator.append(&second)
            while let frame = try accumulator.next() { got.append(frame) }
            try accumulator.finish()
            #expect(got == expected, "split at \(split)")
        }
    }

    static func decodeError(_ input: ByteBuffer, maximum: Int = FrameFormat.defaultMaximumFrameLength) -> FrameDecodingError? {
        var buffer = input
        do {
            while try FrameParser(maximumFrameLength: maximum).next(from: &buffer) != nil {}
            return nil
        } catch {
            return error
        }
    }

    @Test("zero-length frame")
    func zeroLength() {
        #expect(Self.decodeError(Frames.raw(length: 0, [])) == .frameTooShort(length: 0))
    }

    @Test("announced length over the maximum fails on the 4 length bytes alone")
    func oversizeBeforeBuffering() {
        // Only the prefix has arrived: the decoder must not wait for (or allocate) 4 MiB + 1.
        #expect(
            Self.decodeError(Frames.raw(length: UInt32(FrameFormat.defaultMaximumFrameLength + 1), []))
                == .frameTooLarge(length: FrameFormat.defaultMaximumFrameLength + 1, maximum: FrameFormat.defaultMaximumFrameLength)
        )
        #expect(Self.decodeError(Frames.raw(length: 101, [0x6B, 0x72, 0x01]), maximum: 100) == .frameTooLarge(length: 101, maximum: 100))
        #expect(Self.decodeError(Frames.raw(length: .max, [])) != nil)
    }

    @Test("an HTTP request is told apart as a bad magic")
    func badMagic() {
        var http = ByteBuffer()
        http.writeInteger(UInt32(64))
        http.writeString("GET / HTTP/1.1\r\n")
        #expect(Self.decodeError(http) == .badMagic(0x47, 0x45))
        // Checked before the frame is complete.
        #expect(Self.decodeError(Frames.raw(length: 1000, [0x00, 0x00])) == .badMagic(0, 0))
    }

    @Test("unsupported version")
    func badVersion() {
        #expect(Self.decodeError(Frames.raw(length: 1000, [0x6B, 0x72, 0x02])) == .unsupportedVersion(2))
    }

    static let garbage: [(String, ByteBuffer)] = [
        ("header of 0xFF bytes", Frames.raw(length: 8, [0x6B, 0x72, 0x01, 0x04, 0xFF, 0xFF, 0xFF, 0xFF])),
        ("header length past the end of the frame", Frames.raw(length: 5, [0x6B, 0x72, 0x01, 0x09, 0x00])),
        ("header length varint over 5 bytes", Frames.raw(length: 9, [0x6B, 0x72, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])),
        ("unknown frame kind", Frames.raw(length: 6, [0x6B, 0x72, 0x01, 0x02, 0x08, 0x07])),
    ]

    @Test("garbage headers are malformedHeader", arguments: Self.garbage)
    func garbageHeader(name: String, input: ByteBuffer) {
        guard case .malformedHeader = Self.decodeError(input) else {
            Issue.record("\(name): expected malformedHeader, got \(String(describing: Self.decodeError(input)))")
            return
        }
    }

    @Test("truncated frame then EOF throws truncatedFrame from decodeLast")
    func truncatedAtEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var frame = Frames.bytes(.response(id: 5), payload: [1, 2, 3, 4])
        let partial = frame.readSlice(length: 10)!
        try channel.writeInbound(partial)
        #expect(try channel.readInbound(as: Frame.self) == nil)
        #expect(throws: FrameDecodingError.truncatedFrame(received: 10)) {
            try channel.finish()
        }
    }

    @Test("a well-framed stream ends cleanly at EOF")
    func cleanEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(Frames.bytes(.response(id: 5), payload: [1]))
        #expect(try channel.readInbound(as: Frame.self) == Frames.frame(.response(id: 5), payload: [1]))
        #expect(try channel.finish().isClean)
    }

    @Test("encoder writes what the decoder reads")
    func encoderRoundTrip() throws {
        let channel = EmbeddedChannel(handlers: [MessageToByteHandler(FrameEncoder())])
        let frame = Frames.frame(.response(id: 77, status: 3, message: "bad"), payload: [9, 9])
        try channel.writeOutbound(frame)
        var bytes = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try FrameParser().next(from: &bytes) == frame)
        #expect(try channel.finish().isClean)
    }
}
