import Foundation
@testable import KRPC
import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// The server connection handler on an `EmbeddedChannel`: deadlines, idle close and flushes driven
/// by `EmbeddedEventLoop.advanceTime`, never by the wall clock.
@Suite("Server connection handler on virtual time")
struct ServerConnectionHandlerTests {
    /// One handler in an embedded channel, connected.
    final class Harness {
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let probe = Probe()
        let counters = RecordingCounters()
        let faults = TestFaults()
        let live = LiveObjectCounter()
        private var accumulator = FrameAccumulator()

        init(
            flushEvery: Int = 16,
            maximumConcurrentCalls: Int = .max,
            idleTimeout: Duration? = nil
        ) throws {
            let services: [any KRPCService] = [EchoService(), TestService(probe: self.probe)]
            let statistics = ServerStatistics(services: services)
            let settings = ServerConnectionSettings(
                table: MethodTable(services: services, statistics: statistics),
                maximumFrameLength: FrameFormat.defaultMaximumFrameLength,
                flushEvery: flushEvery,
                maximumConcurrentCalls: maximumConcurrentCalls,
                idleTimeout: idleTimeout,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                faultSource: self.faults,
                counters: self.counters,
                node: NodeAddress(host: "127.0.0.1", port: 1),
                liveHandlers: self.live,
                randomSeed: 7
            )
            self.channel = EmbeddedChannel(loop: self.loop)
            try self.channel.pipeline.syncOperations.addHandler(
                ServerConnectionHandler(settings: settings, eventLoop: self.loop)
            )
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        func send(_ frames: ByteBuffer...) throws {
            var all = ByteBuffer()
            for var frame in frames { all.writeBuffer(&frame) }
            try self.channel.writeInbound(all)
        }

        /// The buffers the handler wrote (one per flush), each cut into frames.
        func writes() throws -> [[Frame]] {
            var result: [[Frame]] = []
            while var bytes = try self.channel.readOutbound(as: ByteBuffer.self) {
                self.accumulator.append(&bytes)
                var frames: [Frame] = []
                while let frame = try self.accumulator.next() { frames.append(frame) }
                result.append(frames)
            }
            return result
        }

        func frames() throws -> [Frame] { try self.writes().flatMap { $0 } }

        func advance(_ duration: Duration) {
            self.loop.advanceTime(by: .nanoseconds(Int64(duration.components.seconds) * 1_000_000_000
                + duration.components.attoseconds / 1_000_000_000))
        }
    }

    /// Set once, read by the test.
    final class Flag: Sendable {
        private let state = Mutex(false)
        var value: Bool { self.state.withLock { $0 } }
        func set() { self.state.withLock { $0 = true } }
    }

    static func frame(_ header: FrameHeader, payload: [UInt8] = []) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeKRPCFrame(header: header, payload: payload)
        return buffer
    }

    static func test(_ method: String, id: UInt64, deadlineMilliseconds: UInt32 = 0) throws -> ByteBuffer {
        let payload: [UInt8] = try Requests.echo("t").serializedBytes()
        return Self.frame(
            .request(id: id, service: "Test", method: method, deadlineMilliseconds: deadlineMilliseconds),
            payload: payload
        )
    }

    @Test("a call past its deadline is answered deadline exceeded exactly then, and its handler is cancelled")
    func deadline() throws {
        let h = try Harness()
        try h.send(try Self.test("Hang", id: 1, deadlineMilliseconds: 100))
        #expect(try h.frames().isEmpty)
        h.advance(.milliseconds(99))
        #expect(try h.frames().isEmpty)
        h.advance(.milliseconds(1))
        let frames = try h.frames()
        #expect(frames.map(\.header.requestID) == [1])
        #expect(frames.first?.header.status == KRPCError.Code.deadlineExceeded.rawValue)
        #expect(frames.first?.header.message == "Test.Hang exceeded its deadline of 100 ms on the server")
        h.loop.run()
        #expect(h.probe.cancelled == 1)
        #expect(h.counters.all.map(\.failed) == [true])
        #expect(h.channel.isActive)
    }

    @Test("an idle connection closes after the idle timeout, not before; a read postpones it")
    func idleClose() throws {
        let h = try Harness(idleTimeout: .seconds(10))
        h.advance(.seconds(6))
        try h.send(try Requests.echoFrame(id: 1))
        #expect(try h.frames().map(\.header.status) == [0])
        h.advance(.seconds(6))
        #expect(h.channel.isActive)
        h.advance(.milliseconds(3_999))
        #expect(h.channel.isActive)
        h.advance(.milliseconds(1))
        #expect(!h.channel.isActive)
    }

    @Test("a call in flight keeps an idle connection open")
    func idleWithCall() throws {
        let h = try Harness(idleTimeout: .seconds(1))
        try h.send(try Self.test("Gate", id: 1))
        h.advance(.seconds(30))
        #expect(h.channel.isActive)
        h.probe.openGate()
        h.loop.run()
        #expect(try h.frames().map(\.header.requestID) == [1])
        h.advance(.seconds(1))
        #expect(!h.channel.isActive)
    }

    @Test("drain: new calls are refused unavailable, the call in flight is answered, then GOAWAY and close")
    func drain() throws {
        let h = try Harness()
        try h.send(try Self.test("Gate", id: 1))
        h.channel.pipeline.fireUserInboundEventTriggered(ServerDrainEvent())
        try h.send(try Requests.echoFrame(id: 2))
        let refused = try h.frames()
        #expect(refused.map(\.header.requestID) == [2])
        #expect(refused.first?.header.status == KRPCError.Code.unavailable.rawValue)
        #expect(h.channel.isActive)
        h.probe.openGate()
        h.loop.run()
        let frames = try h.frames()
        #expect(frames.map(\.header.kind) == [.response, .goaway])
        #expect(frames.first?.header.requestID == 1)
        #expect(frames.first?.header.status == 0)
        #expect(frames.last?.header.status == KRPCError.Code.unavailable.rawValue)
        #expect(!h.channel.isActive)
    }

    @Test("the server's drain: a call still running when the grace period ends is cut off then, not before")
    func drainGracePeriodOver() throws {
        let h = try Harness()
        try h.send(try Self.test("Hang", id: 1))
        let closed = Flag()
        KRPCServer.drain([h.channel], gracePeriod: .seconds(5), timerLoop: h.loop, logger: Logger(label: "test"))
            .whenComplete { _ in closed.set() }
        h.loop.run()
        try h.send(try Requests.echoFrame(id: 2))
        #expect(try h.frames().map(\.header.status) == [KRPCError.Code.unavailable.rawValue])
        h.advance(.milliseconds(4_999))
        #expect(h.channel.isActive)
        #expect(!closed.value)
        h.advance(.milliseconds(1))
        #expect(!h.channel.isActive)
        #expect(closed.value)
        h.loop.run()
        #expect(h.probe.cancelled == 1)
        #expect(try h.frames().isEmpty)  // the cut-off call is not answered
    }

    @Test("the server's drain: connections whose calls end in time close with GOAWAY before the grace period")
    func drainInTime() throws {
        let h = try Harness()
        try h.send(try Self.test("Gate", id: 1))
        let closed = Flag()
        KRPCServer.drain([h.channel], gracePeriod: .seconds(5), timerLoop: h.loop, logger: Logger(label: "test"))
            .whenComplete { _ in closed.set() }
        h.loop.run()
        h.advance(.seconds(1))
        h.probe.openGate()
        h.loop.run()
        #expect(try h.frames().map(\.header.kind) == [.response, .goaway])
        #expect(closed.value)
        h.advance(.seconds(10))
        #expect(h.probe.cancelled == 0)
    }

    @Test("flush batching: a read of 5 requests is written in flushes of 2, 2 and 1 (flushEvery 2)")
    func flushBatching() throws {
        let h = try Harness(flushEvery: 2)
        try h.send(
            try Requests.echoFrame(id: 1),
            try Requests.echoFrame(id: 2),
            try Requests.echoFrame(id: 3),
            try Requests.echoFrame(id: 4),
            try Requests.echoFrame(id: 5)
        )
        #expect(try h.writes().map { $0.map(\.header.requestID) } == [[1, 2], [3, 4], [5]])
    }

    @Test("responses of suspended handlers finishing in one loop tick go out in one flush")
    func flushPerTick() throws {
        let h = try Harness()
        try h.send(try Self.test("Gate", id: 1), try Self.test("Gate", id: 2))
        #expect(try h.writes().isEmpty)
        h.probe.openGate()
        h.loop.run()
        #expect(try h.writes().map { $0.map(\.header.requestID).sorted() } == [[1, 2]])
    }

    @Test("past the per-connection limit a request is answered overloaded at once")
    func overload() throws {
        let h = try Harness(maximumConcurrentCalls: 1)
        try h.send(try Self.test("Gate", id: 1), try Requests.echoFrame(id: 2))
        let frames = try h.frames()
        #expect(frames.map(\.header.requestID) == [2])
        #expect(frames.first?.header.status == KRPCError.Code.overloaded.rawValue)
        #expect(frames.first?.header.message == "Echo.Echo refused: 1 calls already in flight on this connection (the limit)")
        #expect(h.probe.started == 1)
    }

    @Test("CANCEL stops the handler and the call is not answered; the connection stays")
    func cancel() throws {
        let h = try Harness()
        try h.send(try Self.test("Hang", id: 1, deadlineMilliseconds: 1_000))
        try h.send(Self.frame(FrameHeader(kind: .cancel, requestID: 1)))
        h.loop.run()
        #expect(h.probe.cancelled == 1)
        h.advance(.seconds(2))
        #expect(try h.frames().isEmpty)
        #expect(h.channel.isActive)
        try h.send(try Requests.echoFrame(id: 2))
        #expect(try h.frames().map(\.header.requestID) == [2])
    }

    @Test("a client RESPONSE or GOAWAY frame: GOAWAY protocol error, and the connection closes", arguments: [FrameKind.response, .goaway])
    func clientSentServerFrames(kind: FrameKind) throws {
        let h = try Harness()
        try h.send(Self.frame(FrameHeader(kind: kind, requestID: 3)))
        let frames = try h.frames()
        #expect(frames.map(\.header.kind) == [.goaway])
        #expect(frames.first?.header.status == KRPCError.Code.protocolError.rawValue)
        #expect(!h.channel.isActive)
    }

    @Test("request id 0: GOAWAY protocol error")
    func requestIDZero() throws {
        let h = try Harness()
        try h.send(try Requests.echoFrame(id: 0))
        let frames = try h.frames()
        #expect(frames.map(\.header.kind) == [.goaway])
        #expect(frames.first?.header.message == "request id 0 is reserved")
        #expect(!h.channel.isActive)
    }

    // MARK: The wire contract (FrameFormat.swift), point by point

    @Test("an unknown frame kind is a connection error: GOAWAY protocol error")
    func unknownKind() throws {
        let h = try Harness()
        // length 8: magic, version, header_len 4, header {kind: 4, request_id: 1}
        try h.send(ByteBuffer(bytes: [0, 0, 0, 8, 0x6B, 0x72, 0x01, 0x04, 0x08, 0x04, 0x10, 0x01]))
        let frames = try h.frames()
        #expect(frames.map(\.header.kind) == [.goaway])
        #expect(frames.first?.header.status == KRPCError.Code.protocolError.rawValue)
        #expect(frames.first?.header.message.contains("unknown frame kind 4") == true)
        #expect(!h.channel.isActive)
    }

    @Test("a REQUEST reusing the id of a call in flight is a connection error; reusing an answered id is fine")
    func idReuse() throws {
        let h = try Harness()
        try h.send(try Requests.echoFrame(id: 1), try Requests.echoFrame(id: 1))
        #expect(try h.frames().map(\.header.requestID) == [1, 1])
        try h.send(try Self.test("Gate", id: 2), try Self.test("Gate", id: 2))
        let frames = try h.frames()
        #expect(frames.map(\.header.kind) == [.goaway])
        #expect(frames.first?.header.message == "request id 2 is already in flight")
        #expect(!h.channel.isActive)
    }

    @Test("an answer written before the CANCEL was read still arrives; a CANCEL for an id not in flight is ignored")
    func lateAnswerAndStrayCancel() throws {
        let h = try Harness()
        // Echo answers at once: its RESPONSE is written before the CANCEL behind it is read. The
        // CANCEL carries fields a CANCEL does not use, and a payload: ignored too.
        var cancel = FrameHeader(kind: .cancel, requestID: 1)
        cancel.service = "Echo"
        try h.send(try Requests.echoFrame(id: 1), Self.frame(cancel, payload: [1, 2, 3]))
        let frames = try h.frames()
        #expect(frames.map(\.header.requestID) == [1])
        #expect(frames.first?.header.status == 0)
        try h.send(Self.frame(FrameHeader(kind: .cancel, requestID: 99)))
        #expect(try h.frames().isEmpty)
        #expect(h.channel.isActive)
    }

    @Test("an empty service or method fails that call only", arguments: [("", "Echo", KRPCError.Code.unknownService), ("Echo", "", .unknownMethod)])
    func emptyNames(service: String, method: String, code: KRPCError.Code) throws {
        let h = try Harness()
        try h.send(Self.frame(.request(id: 5, service: service, method: method, deadlineMilliseconds: 0)))
        let frames = try h.frames()
        #expect(frames.map(\.header.requestID) == [5])
        #expect(frames.first?.header.status == code.rawValue)
        #expect(h.channel.isActive)
    }

    @Test("the handler is freed once its channel closes")
    func freedAfterClose() throws {
        let h = try Harness()
        try h.send(try Requests.echoFrame(id: 1))
        _ = try h.frames()
        #expect(h.live.count == 1)
        try h.channel.close().wait()
        h.loop.run()
        #expect(h.live.count == 0)
    }
}
