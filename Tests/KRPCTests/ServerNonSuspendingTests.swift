import Foundation
@testable import KRPC
import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// `Quick.Echo`, declared non-suspending; records the task it ran in (`nil`: none).
struct QuickService: KRPCService {
    final class Record: Sendable {
        let tasks = Mutex<[Int?]>([])
    }

    let record: Record

    var serviceName: String { "Quick" }

    var methods: [KRPCMethod] {
        [
            .unaryNonSuspending("Echo") { (request: EchoRequest, _) in
                self.record.tasks.withLock { $0.append(withUnsafeCurrentTask { $0?.hashValue }) }
                if request.value == Data("fail".utf8) {
                    throw KRPCError(code: .invalidRequest, message: "asked to fail")
                }
                var response = EchoResponse()
                response.value = request.value
                return response
            }
        ]
    }
}

@Suite("Server: methods declared non-suspending run without a task")
struct ServerNonSuspendingTests {
    @Test("on an embedded channel: answered inside the read, no task; errors and bad payloads as for unary")
    func embedded() throws {
        let record = QuickService.Record()
        let loop = EmbeddedEventLoop()
        let services: [any KRPCService] = [QuickService(record: record)]
        let statistics = ServerStatistics(services: services)
        let settings = ServerConnectionSettings(
            table: MethodTable(services: services, statistics: statistics),
            maximumFrameLength: FrameFormat.defaultMaximumFrameLength,
            flushEvery: 16,
            maximumConcurrentCalls: .max,
            idleTimeout: nil,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            faultSource: nil,
            counters: nil,
            node: NodeAddress(host: "127.0.0.1", port: 1),
            liveHandlers: LiveObjectCounter()
        )
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(ServerConnectionHandler(settings: settings, eventLoop: loop))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()

        func frame(id: UInt64, _ text: String) throws -> ByteBuffer {
            var buffer = ByteBuffer()
            let payload: [UInt8] = try Requests.echo(text).serializedBytes()
            buffer.writeKRPCFrame(header: .request(id: id, service: "Quick", method: "Echo", deadlineMilliseconds: 100), payload: payload)
            return buffer
        }
        var all = try frame(id: 1, "a")
        var second = try frame(id: 2, "fail")
        all.writeBuffer(&second)
        all.writeKRPCFrame(header: .request(id: 3, service: "Quick", method: "Echo", deadlineMilliseconds: 0), payload: [0xFF])
        try channel.writeInbound(all)
        // No loop.run(): everything was answered inside channelRead / channelReadComplete.
        var bytes = try #require(try channel.readOutbound(as: ByteBuffer.self))
        var accumulator = FrameAccumulator()
        accumulator.append(&bytes)
        var frames: [Frame] = []
        while let next = try accumulator.next() { frames.append(next) }
        #expect(frames.map(\.header.requestID) == [1, 2, 3])
        #expect(try Requests.decodeEcho(frames[0]) == "a")
        #expect(frames[1].header.status == KRPCError.Code.invalidRequest.rawValue)
        #expect(frames[1].header.message == "asked to fail")
        #expect(frames[2].header.status == KRPCError.Code.invalidRequest.rawValue)
        // Run by the caller of channelRead (this test, in its own task), not in a task of their own.
        let caller = withUnsafeCurrentTask { $0?.hashValue }
        #expect(record.tasks.withLock { $0 } == [caller, caller])
        #expect(statistics.snapshot().first?.calls == 3)
        // Their deadlines left stale timer entries only: nothing is answered twice.
        loop.advanceTime(by: .seconds(1))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("over a real connection")
    func realSocket() async throws {
        let record = QuickService.Record()
        try await withServer(services: [QuickService(record: record)]) { _, address in
            try await withConnection(to: address) { connection in
                for index in 0..<50 {
                    let reply = try await connection.call(
                        service: "Quick",
                        method: "Echo",
                        request: Requests.echo("\(index)"),
                        responseType: EchoResponse.self
                    )
                    #expect(reply.value == Data("\(index)".utf8))
                }
            }
        }
        // On the event loop's thread, outside any task.
        #expect(record.tasks.withLock { $0 }.count == 50)
        #expect(record.tasks.withLock { $0 }.allSatisfy { $0 == nil })
    }
}
