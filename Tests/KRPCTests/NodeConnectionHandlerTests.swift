@testable import KRPC
import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The client connection handler on an `EmbeddedChannel`.
@Suite("NodeConnection handler on an embedded channel")
struct NodeConnectionHandlerTests {
    func core(on loop: EmbeddedEventLoop) -> ConnectionCore {
        ConnectionCore(
            address: NodeAddress(host: "127.0.0.1", port: 9),
            configuration: .init(),
            eventLoop: loop,
            observers: ConnectionObservers()
        )
    }

    func handler(_ core: ConnectionCore, flushEvery: Int = 16) -> ClientConnectionHandler {
        ClientConnectionHandler(
            core: core,
            attempt: 1,
            parser: FrameParser(maximumFrameLength: FrameFormat.defaultMaximumFrameLength),
            flushEvery: flushEvery,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    @Test("the handler is freed once its channel closes (no handler <-> context cycle)")
    func freedAfterClose() throws {
        let loop = EmbeddedEventLoop()
        let core = self.core(on: loop)
        let channel = EmbeddedChannel(loop: loop)
        weak var weakHandler: ClientConnectionHandler?
        do {
            let handler = self.handler(core)
            weakHandler = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        weakHandler?.write(header: .request(id: 1, service: "Echo", method: "Echo", deadlineMilliseconds: 5), payload: [1])
        weakHandler?.flushNow()
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        #expect(weakHandler != nil)
        try channel.close().wait()
        loop.run()
        #expect(weakHandler == nil)
    }

    @Test("requests written in one loop tick go out in one flush; every flushEvery frames sooner")
    func flushBatching() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let handler = self.handler(self.core(on: loop), flushEvery: 3)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        for id in 1...4 as ClosedRange<UInt64> {
            handler.write(header: .request(id: id, service: "Echo", method: "Echo", deadlineMilliseconds: 5), payload: [])
        }
        var counts: [Int] = []
        func drain() throws {
            while var bytes = try channel.readOutbound(as: ByteBuffer.self) {
                var accumulator = FrameAccumulator()
                accumulator.append(&bytes)
                var n = 0
                while try accumulator.next() != nil { n += 1 }
                counts.append(n)
            }
        }
        try drain()
        #expect(counts == [3])
        loop.run()  // the end of the tick
        try drain()
        #expect(counts == [3, 1])
    }

    @Test("a REQUEST or CANCEL from the server closes the connection", arguments: [FrameKind.request, .cancel])
    func serverSentClientFrames(kind: FrameKind) throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(self.handler(self.core(on: loop)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        var frame = ByteBuffer()
        frame.writeKRPCFrame(header: FrameHeader(kind: kind, requestID: 1), payload: [])
        try channel.writeInbound(frame)
        #expect(!channel.isActive)
    }
}
