import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import KRPCWire
import NIOCore
import Testing

/// The "Must hold" list of issue 3: every bad input is answered with a typed error, and the server
/// keeps serving its other connections (one opened before the bad input, one after).
@Suite("Server: bad input")
struct ServerBadInputTests {
    /// Sends `bytes` on a raw connection to a fresh server and returns what came back, having
    /// checked that an established connection and a new one are still served.
    func feed(
        _ bytes: ByteBuffer,
        halfClose: Bool = false,
        byteByByte: Bool = false,
        frames: Int = .max,
        configure: (inout KRPCServer.Configuration) -> Void = { _ in }
    ) async throws -> RawConnection.Reply {
        try await withServer(configure: configure) { _, address in
            try await withConnection(to: address) { bystander in
                try await bystander.connect()
                let raw = try await RawConnection.connect(to: address)
                if byteByByte { try await raw.sendByteByByte(bytes) } else { try await raw.send(bytes) }
                if halfClose { try await raw.halfClose() }
                let reply = try await raw.read(frames: frames)
                await raw.close()
                try await expectStillServing(address, over: bystander)
                return reply
            }
        }
    }

    @Test("a request split at every byte boundary is answered")
    func splitAtEveryByte() async throws {
        let reply = try await self.feed(try Requests.echoFrame(id: 7, text: "split"), byteByByte: true, frames: 1)
        let frame = try #require(reply.frames.first)
        #expect(frame.header == .response(id: 7))
        #expect(try Requests.decodeEcho(frame) == "split")
    }

    @Test("many frames in one read are all answered")
    func manyFramesInOneRead() async throws {
        var bytes = ByteBuffer()
        for id in 1...200 {
            var frame = try Requests.echoFrame(id: UInt64(id), text: "n\(id)")
            bytes.writeBuffer(&frame)
        }
        let reply = try await self.feed(bytes, frames: 200)
        #expect(reply.frames.count == 200)
        for frame in reply.frames {
            #expect(frame.header.status == 0)
            #expect(try Requests.decodeEcho(frame) == "n\(frame.header.requestID)")
        }
        #expect(Set(reply.frames.map(\.header.requestID)) == Set(1...200))
    }

    @Test("a truncated frame, then end of input, gets GOAWAY protocol error")
    func truncatedThenEOF() async throws {
        var bytes = try Requests.echoFrame(id: 1)
        bytes.moveWriterIndex(to: bytes.writerIndex - 3)
        let reply = try await self.feed(bytes, halfClose: true)
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.protocolError.rawValue)
        #expect(goaway.message.contains("middle of a frame"))
        #expect(reply.closed)
    }

    @Test("request metadata over the limit (a peer that is not krpc's client) gets GOAWAY protocol error")
    func metadataOverLimit() async throws {
        var tooMany = KRPCMetadata()
        for i in 0...KRPCMetadata.maximumEntryCount { tooMany.addString("v", forKey: "k\(i)") }
        var bytes = ByteBuffer()
        bytes.writeKRPCFrame(
            header: .request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 0, metadata: tooMany),
            payload: [UInt8]()
        )
        let reply = try await self.feed(bytes)
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.protocolError.rawValue)
        #expect(goaway.message.contains("more than 64 metadata entries"))
        #expect(reply.closed)
    }

    @Test("a zero-length frame gets GOAWAY protocol error")
    func zeroLength() async throws {
        let reply = try await self.feed(ByteBuffer(bytes: [0, 0, 0, 0]))
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.protocolError.rawValue)
        #expect(goaway.message.contains("under the minimum"))
        #expect(reply.closed)
    }

    @Test("an announced length over the maximum gets GOAWAY frame too large before the body is sent")
    func oversize() async throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(1024 * 1024 + 1))  // and nothing else: the server must not wait for it
        let reply = try await self.feed(bytes) { $0.maximumFrameLength = 1024 * 1024 }
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.frameTooLarge.rawValue)
        #expect(goaway.message.contains("exceeds the maximum 1048576"))
        #expect(reply.closed)
    }

    @Test("a wrong magic (an HTTP client) gets GOAWAY protocol error")
    func wrongMagic() async throws {
        var bytes = ByteBuffer()
        bytes.writeString("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        // "GET " read as a length is 1.2 GB: over the maximum, so say it with a short one first.
        var short = ByteBuffer()
        short.writeInteger(UInt32(bytes.readableBytes))
        short.writeBuffer(&bytes)
        let reply = try await self.feed(short)
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.protocolError.rawValue)
        #expect(goaway.message.contains("bad magic"))
        #expect(reply.closed)
    }

    @Test("a garbage header gets GOAWAY protocol error")
    func garbageHeader() async throws {
        let bytes = ByteBuffer(bytes: [0, 0, 0, 8, 0x6B, 0x72, 0x01, 0x04, 0xFF, 0xFF, 0xFF, 0xFF])
        let reply = try await self.feed(bytes)
        let goaway = try #require(reply.goaway)
        #expect(goaway.status == KRPCError.Code.protocolError.rawValue)
        #expect(goaway.message.contains("malformed frame header"))
        #expect(reply.closed)
    }

    @Test("a request without an id gets GOAWAY protocol error")
    func requestIDZero() async throws {
        let reply = try await self.feed(try Requests.echoFrame(id: 0))
        #expect(reply.goaway?.status == KRPCError.Code.protocolError.rawValue)
    }

    @Test("unknown service, unknown method and unparsable payload get typed errors; the connection stays")
    func unknownNamesAndBadPayload() async throws {
        try await withServer { _, address in
            try await withConnection(to: address) { connection in
                let unknownService = await expectKRPCError(.unknownService) {
                    try await connection.call(service: "Nope", method: "Echo", payload: [], deadline: Timeouts.generous)
                }
                #expect(unknownService?.message == "unknown service 'Nope'")
                let unknownMethod = await expectKRPCError(.unknownMethod) {
                    try await connection.call(service: "UserServiceRpc", method: "Logout", payload: [], deadline: Timeouts.generous)
                }
                #expect(unknownMethod?.message == "UserServiceRpc has no method 'Logout'")
                let badPayload = await expectKRPCError(.invalidRequest) {
                    try await connection.call(service: "Echo", method: "Echo", payload: [0xFF, 0xFF, 0xFF], deadline: Timeouts.generous)
                }
                #expect(badPayload?.message.contains("does not parse as krpc.echo.EchoRequest") == true)
                #expect(connection.state.isReady)
                try await expectStillServing(address, over: connection)
            }
        }
    }

    @Test("a client that connects and sends nothing is closed after the idle timeout")
    func silentClient() async throws {
        let reply = try await self.idle(sending: nil)
        #expect(reply.closed)
        #expect(reply.frames.isEmpty)
    }

    @Test("a client that stalls mid-frame gets GOAWAY after the idle timeout")
    func stalledMidFrame() async throws {
        var bytes = try Requests.echoFrame(id: 1)
        bytes.moveWriterIndex(to: bytes.writerIndex - 2)
        let reply = try await self.idle(sending: bytes)
        #expect(reply.goaway?.status == KRPCError.Code.protocolError.rawValue)
        #expect(reply.closed)
    }

    /// Opens a raw connection that sends `bytes` (or nothing) and then stays silent; checks the
    /// server serves others meanwhile (well before the 3 s idle timeout could hit them too).
    func idle(sending bytes: ByteBuffer?) async throws -> RawConnection.Reply {
        let logs = LogCapture()
        let reply = try await withServer(configure: {
            $0.idleTimeout = .seconds(3)
            $0.logger = logs.logger(level: .debug)
        }) { _, address in
            let raw = try await RawConnection.connect(to: address)
            if let bytes { try await raw.send(bytes) }
            try await expectStillServing(address)
            let reply = try await raw.read()
            await raw.close()
            return reply
        }
        if bytes != nil && reply.goaway == nil {
            for entry in logs.all { print("LOG \(entry.level) \(entry.message) \(entry.metadata)") }
        }
        return reply
    }
}
