import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import KRPCWire
import NIOCore
import Synchronization
import Testing

/// A list of events, appended to from interceptors and handlers on any thread.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])

    func append(_ event: String) { self.events.withLock { $0.append(event) } }
    var all: [String] { self.events.withLock { $0 } }
}

/// `Meta.Get`: answers the metadata it was called with, as text (`key=value;...`), and logs "handler".
struct MetadataService: KRPCService {
    let log: EventLog

    var serviceName: String { "Meta" }

    var methods: [KRPCMethod] {
        [
            .unary("Get") { (_: EchoRequest, context) in
                self.log.append("handler")
                var response = EchoResponse()
                response.value = Data(Self.text(context.metadata).utf8)
                return response
            },
            .unary("Fail") { (_: EchoRequest, _) -> EchoResponse in
                self.log.append("handler")
                throw KRPCError(code: .invalidRequest, message: "handler refused")
            },
        ]
    }

    static func text(_ metadata: KRPCMetadata) -> String {
        metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }
}

/// A server interceptor that logs `name>` before and `<name` after (with the error code when it failed),
/// and can add a note of what it saw.
struct LoggingServerInterceptor: KRPCServerInterceptor {
    let name: String
    let log: EventLog
    var reject: KRPCError? = nil
    /// Declares itself a pass-through (``KRPCInterceptor/passesEveryCallOn``): then it must never run.
    var passThrough = false

    var passesEveryCallOn: Bool { self.passThrough }

    func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        self.log.append("\(self.name)>")
        if let reject { throw reject }
        do {
            let response = try await next(request, context)
            self.log.append("<\(self.name)")
            return response
        } catch {
            self.log.append("<\(self.name) \(error.code)")
            throw error
        }
    }
}

/// The same, also runnable without suspending.
struct NonSuspendingLoggingServerInterceptor: KRPCNonSuspendingServerInterceptor {
    let name: String
    let log: EventLog

    func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        self.log.append("\(self.name)>")
        defer { self.log.append("<\(self.name)") }
        return try await next(request, context)
    }

    func interceptNonSuspending(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: (KRPCServerRequest, KRPCServerContext) throws(KRPCError) -> KRPCServerResponse
    ) throws(KRPCError) -> KRPCServerResponse {
        self.log.append("\(self.name)>")
        defer { self.log.append("<\(self.name)") }
        return try next(request, context)
    }
}

/// A client interceptor that logs `name>` / `<name`, adds `name` to the metadata key `via`, and can reject.
struct LoggingClientInterceptor: KRPCClientInterceptor {
    let name: String
    let log: EventLog
    var reject: KRPCError? = nil
    /// Declares itself a pass-through (``KRPCInterceptor/passesEveryCallOn``): then it must never run.
    var passThrough = false

    var passesEveryCallOn: Bool { self.passThrough }

    func intercept(
        request: KRPCClientRequest,
        context: KRPCClientContext,
        next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse {
        self.log.append("\(self.name)>")
        if let reject { throw reject }
        var request = request
        request.metadata.addString(self.name, forKey: "via")
        defer { self.log.append("<\(self.name)") }
        return try await next(request, context)
    }
}

/// Records the deadline each call's context carried.
final class DeadlineRecorder: KRPCClientInterceptor, KRPCServerInterceptor {
    let client = Mutex<[ContinuousClock.Instant]>([])
    let server = Mutex<[NIODeadline?]>([])

    func intercept(
        request: KRPCClientRequest,
        context: KRPCClientContext,
        next: @Sendable (KRPCClientRequest, KRPCClientContext) async throws(KRPCError) -> KRPCClientResponse
    ) async throws(KRPCError) -> KRPCClientResponse {
        self.client.withLock { $0.append(context.deadline) }
        return try await next(request, context)
    }

    func intercept(
        request: KRPCServerRequest,
        context: KRPCServerContext,
        next: @Sendable (KRPCServerRequest, KRPCServerContext) async throws(KRPCError) -> KRPCServerResponse
    ) async throws(KRPCError) -> KRPCServerResponse {
        self.server.withLock { $0.append(context.deadline) }
        return try await next(request, context)
    }
}

private func callMeta(
    _ caller: some KRPCCaller,
    _ method: String = "Get",
    metadata: KRPCMetadata = KRPCMetadata(),
    deadline: Duration? = nil
) async throws(KRPCError) -> String {
    let response: EchoResponse = try await caller.call(
        service: "Meta", method: method, request: EchoRequest(), deadline: deadline, metadata: metadata
    )
    return String(decoding: response.value, as: UTF8.self)
}

private func isIdle(_ connection: NodeConnection) -> Bool {
    if case .idle = connection.state { return true }
    return false
}

@Suite("Metadata and interceptors over real sockets")
struct InterceptorTests {
    @Test("metadata travels from the generated client's options to the handler's context, in order")
    func metadataRoundTrip() async throws {
        let log = EventLog()
        let seen = Mutex<KRPCMetadata?>(nil)
        let service = KRPCMethod.unary("Echo") { (request: EchoRequest, context) in
            seen.withLock { $0 = context.metadata }
            return EchoResponse.with { $0.value = request.value }
        }
        struct Single: KRPCService {
            let method: KRPCMethod
            var serviceName: String { "Echo" }
            var methods: [KRPCMethod] { [self.method] }
        }
        try await withServer(services: [Single(method: service), MetadataService(log: log)]) { _, address in
            try await withConnection(to: address) { connection in
                var metadata: KRPCMetadata = ["tenant": "acme", "X-Trace": "one"]
                metadata.addString("two", forKey: "x-trace")
                metadata.addBinary([0, 1, 2, 255], forKey: "token-bin")
                metadata.addString("", forKey: "empty")
                let options = KRPCCallOptions(deadline: Timeouts.generous, metadata: metadata)
                _ = try await EchoClient(connection).echo(
                    EchoRequest.with { $0.value = Data("hi".utf8) }, options: options)
                let received = try #require(seen.withLock { $0 })
                #expect(received == metadata)
                #expect(received[stringValues: "x-trace"] == ["one", "two"])
                #expect(received[binaryValues: "token-bin"] == [[0, 1, 2, 255]])
                #expect(received.firstString(forKey: "TENANT") == "acme")
                // A call without metadata after one with it: none carried over.
                _ = try await EchoClient(connection).echo(EchoRequest(), options: .defaults)
                #expect(seen.withLock { $0 }?.isEmpty == true)
            }
        }
    }

    @Test("server interceptors: first outermost, around the handler; they see the handler's error code")
    func serverOrder() async throws {
        let log = EventLog()
        try await withServer(
            services: [MetadataService(log: log)],
            configure: {
                $0.interceptors = [
                    LoggingServerInterceptor(name: "a", log: log), LoggingServerInterceptor(name: "b", log: log),
                ]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                let text = try await callMeta(connection, metadata: ["k": "v"])
                #expect(text == "k=\"v\"")
                #expect(log.all == ["a>", "b>", "handler", "<b", "<a"])
                let error = await #expect(throws: KRPCError.self) { try await callMeta(connection, "Fail") }
                #expect(error?.code == .invalidRequest)
                #expect(error?.message == "handler refused")
                #expect(log.all.suffix(5) == ["a>", "b>", "handler", "<b invalid request", "<a invalid request"])
            }
        }
    }

    @Test("a rejecting server interceptor: the handler does not run, the client gets its code and message")
    func serverShortCircuit() async throws {
        let log = EventLog()
        let denied = KRPCError(code: KRPCError.Code(rawValue: 7), message: "no entry")
        try await withServer(
            services: [MetadataService(log: log)],
            configure: {
                $0.interceptors = [
                    LoggingServerInterceptor(name: "a", log: log),
                    LoggingServerInterceptor(name: "gate", log: log, reject: denied),
                    LoggingServerInterceptor(name: "c", log: log),
                ]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                let error = await #expect(throws: KRPCError.self) { try await callMeta(connection) }
                #expect(error?.code.rawValue == 7)
                #expect(error?.message == "no entry")
                #expect(log.all == ["a>", "gate>", "<a \(denied.code)"])
                #expect(!log.all.contains("handler"))
            }
        }
    }

    @Test("client interceptors on a connection: first outermost; metadata they add reaches the server")
    func clientOrder() async throws {
        let log = EventLog()
        try await withServer(services: [MetadataService(log: log)]) { _, address in
            var configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous)
            configuration.interceptors = [
                LoggingClientInterceptor(name: "a", log: log), LoggingClientInterceptor(name: "b", log: log),
            ]
            try await withConnection(to: address, configuration: configuration) { connection in
                let text = try await callMeta(connection, metadata: ["first": "1"])
                #expect(text == "first=\"1\";via=\"a\";via=\"b\"")
                #expect(log.all == ["a>", "b>", "handler", "<b", "<a"])
            }
        }
    }

    @Test("interceptors that declare themselves pass-throughs are left out of the chain, on both sides")
    func passThroughsLeftOut() async throws {
        let log = EventLog()
        try await withServer(
            services: [MetadataService(log: log)],
            configure: {
                $0.interceptors = [
                    LoggingServerInterceptor(name: "s1", log: log),
                    LoggingServerInterceptor(name: "idle", log: log, passThrough: true),
                ]
            }
        ) { _, address in
            var configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous)
            configuration.interceptors = [
                LoggingClientInterceptor(name: "quiet", log: log, passThrough: true),
                LoggingClientInterceptor(name: "c1", log: log),
            ]
            try await withConnection(to: address, configuration: configuration) { connection in
                let text = try await callMeta(connection)
                #expect(text == "via=\"c1\"")
                #expect(log.all == ["c1>", "s1>", "handler", "<s1", "<c1"])
            }
        }
    }

    @Test("a rejecting client interceptor: nothing is sent (the connection is never opened)")
    func clientShortCircuit() async throws {
        let log = EventLog()
        try await withServer(services: [MetadataService(log: log)]) { server, address in
            var configuration = NodeConnection.Configuration(defaultDeadline: Timeouts.generous)
            configuration.interceptors = [
                LoggingClientInterceptor(name: "a", log: log),
                LoggingClientInterceptor(
                    name: "gate", log: log, reject: KRPCError(code: .unavailable, message: "offline")),
                LoggingClientInterceptor(name: "c", log: log),
            ]
            try await withConnection(to: address, configuration: configuration) { connection in
                let error = await #expect(throws: KRPCError.self) { try await callMeta(connection) }
                #expect(error?.code == .unavailable)
                #expect(error?.message == "offline")
                #expect(log.all == ["a>", "gate>", "<a"])
                #expect(isIdle(connection))
            }
            #expect(server.statistics.snapshot().allSatisfy { $0.calls == 0 })
        }
    }

    @Test("interceptors see the call's deadline, on both sides")
    func deadlines() async throws {
        let recorder = DeadlineRecorder()
        let log = EventLog()
        try await withServer(services: [MetadataService(log: log)], configure: { $0.interceptors = [recorder] }) {
            _, address in
            var configuration = NodeConnection.Configuration(defaultDeadline: .seconds(30))
            configuration.interceptors = [recorder]
            try await withConnection(to: address, configuration: configuration) { connection in
                let before = ContinuousClock.now
                let beforeNIO = NIODeadline.now()
                _ = try await callMeta(connection, deadline: .seconds(12))
                _ = try await callMeta(connection)
                let after = ContinuousClock.now
                let client = recorder.client.withLock { $0 }
                #expect(client.count == 2)
                #expect(client[0] >= before + .seconds(12) && client[0] <= after + .seconds(12))
                #expect(client[1] >= before + .seconds(30) && client[1] <= after + .seconds(30))
                let server = recorder.server.withLock { $0 }
                #expect(server.count == 2)
                // Sent as milliseconds remaining: at most 12 s after the call began, and not long before.
                let first = try #require(server[0])
                #expect(first <= NIODeadline.now() + .seconds(12) && first > beforeNIO + .seconds(10))
                let second = try #require(server[1])
                #expect(second > beforeNIO + .seconds(28))
            }
        }
    }

    @Test("channel interceptors run once per call, around the attempts; a rejecting one makes no attempt")
    func channelInterceptors() async throws {
        try await TestCluster.with(nodes: 1) { cluster in
            let log = EventLog()
            try await withChannel(
                cluster, configure: { $0.interceptors = [LoggingClientInterceptor(name: "ch", log: log)] }
            ) {
                channel in
                let response = try await login(channel)
                #expect(response.success)
                #expect(log.all == ["ch>", "<ch"])
                let rejected = KRPCChannel(
                    key: cluster.key, registry: cluster.registry,
                    configuration: .init(
                        interceptors: [
                            LoggingClientInterceptor(
                                name: "no", log: log, reject: KRPCError(code: .cancelled, message: "x"))
                        ]
                    )
                )
                let error = await #expect(throws: KRPCError.self) { try await login(rejected) }
                #expect(error?.code == .cancelled)
                #expect(rejected.snapshot().calls == 0)
            }
        }
    }

    @Test("non-suspending methods: no task with non-suspending interceptors, a task with others")
    func nonSuspendingPath() async throws {
        let log = EventLog()
        let quiet = QuickService.Record()
        try await withServer(
            services: [QuickService(record: quiet)],
            configure: {
                $0.interceptors = [
                    NonSuspendingLoggingServerInterceptor(name: "a", log: log),
                    NonSuspendingLoggingServerInterceptor(name: "b", log: log),
                ]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                let response: EchoResponse = try await connection.call(
                    service: "Quick", method: "Echo", request: EchoRequest.with { $0.value = Data("x".utf8) })
                #expect(response.value == Data("x".utf8))
            }
        }
        #expect(quiet.tasks.withLock { $0 } == [nil])
        #expect(log.all == ["a>", "b>", "<b", "<a"])

        let tasked = QuickService.Record()
        try await withServer(
            services: [QuickService(record: tasked)],
            configure: {
                $0.interceptors = [
                    NonSuspendingLoggingServerInterceptor(name: "a", log: log),
                    LoggingServerInterceptor(name: "b", log: log),
                ]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                let error = await #expect(throws: KRPCError.self) {
                    let _: EchoResponse = try await connection.call(
                        service: "Quick", method: "Echo", request: EchoRequest.with { $0.value = Data("fail".utf8) })
                }
                #expect(error?.code == .invalidRequest)
            }
        }
        let tasks = tasked.tasks.withLock { $0 }
        #expect(tasks.count == 1 && tasks[0] != nil)
        #expect(log.all.suffix(4) == ["a>", "b>", "<b invalid request", "<a"])
    }

    @Test("metadata over the limits: refused by the client with invalidRequest, nothing sent")
    func clientLimits() async throws {
        try await withServer { _, address in
            try await withConnection(to: address) { connection in
                var tooMany = KRPCMetadata()
                for i in 0...KRPCMetadata.maximumEntryCount { tooMany.addString("v", forKey: "k\(i)") }
                let countError = await #expect(throws: KRPCError.self) {
                    _ = try await connection.call(service: "Echo", method: "Echo", payload: [], metadata: tooMany)
                }
                #expect(countError?.code == .invalidRequest)
                #expect(countError?.message.contains("65 entries") == true)

                let tooBig: KRPCMetadata = [
                    "big": .string(String(repeating: "x", count: KRPCMetadata.maximumEncodedBytes))
                ]
                let sizeError = await #expect(throws: KRPCError.self) {
                    _ = try await connection.call(service: "Echo", method: "Echo", payload: [], metadata: tooBig)
                }
                #expect(sizeError?.code == .invalidRequest)

                let badKey: KRPCMetadata = ["bad key": "v"]
                let keyError = await #expect(throws: KRPCError.self) {
                    _ = try await connection.call(service: "Echo", method: "Echo", payload: [], metadata: badKey)
                }
                #expect(keyError?.code == .invalidRequest)
                #expect(isIdle(connection))

                // At the limits exactly: sent and answered.
                var full = KRPCMetadata()
                for i in 0..<(KRPCMetadata.maximumEntryCount - 1) { full.addString("", forKey: "k\(i)") }
                let used = full.encodedBytes
                full.addString(String(repeating: "y", count: KRPCMetadata.maximumEncodedBytes - used - 1), forKey: "z")
                #expect(full.encodedBytes == KRPCMetadata.maximumEncodedBytes)
                _ = try await connection.call(service: "Echo", method: "Echo", payload: [], metadata: full)
            }
        }
    }
}

@Suite("Logging server interceptor")
struct LoggingInterceptorTests {
    @Test("one line per call at its level, with method, code and duration; none when the logger is above it")
    func logsEachCall() async throws {
        let capture = LogCapture()
        let log = EventLog()
        try await withServer(
            services: [MetadataService(log: log), EchoService()],
            configure: {
                $0.logger = capture.logger("server", level: .debug)
                $0.interceptors = [KRPCLoggingServerInterceptor(level: .debug)]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                _ = try await callMeta(connection)
                _ = await #expect(throws: KRPCError.self) { try await callMeta(connection, "Fail") }
                _ = try await EchoClient(connection).echo(EchoRequest(), options: .defaults)
            }
        }
        let lines = capture.entries(.debug, containing: "call ended")
        #expect(lines.map { $0.metadata["krpc.method"] } == ["Meta.Get", "Meta.Fail", "Echo.Echo"])
        #expect(lines.map { $0.metadata["krpc.code"] } == ["ok", "invalid request", "ok"])
        #expect(lines[1].metadata["krpc.error"] == "handler refused")
        #expect(
            lines.allSatisfy { Int($0.metadata["krpc.duration_us"] ?? "") != nil && $0.metadata["krpc.peer"] != nil })

        let quiet = LogCapture()
        try await withServer(
            services: [EchoService()],
            configure: {
                $0.logger = quiet.logger("server", level: .info)
                $0.interceptors = [KRPCLoggingServerInterceptor(level: .debug)]
            }
        ) { _, address in
            try await withConnection(to: address) { connection in
                _ = try await EchoClient(connection).echo(EchoRequest(), options: .defaults)
            }
        }
        #expect(!quiet.contains("call ended"))
    }
}
