import Foundation
import InMemoryTracing
import KRPC
import KRPCPolicy
import KRPCTracing
import KRPCWire
import Synchronization
import Testing
import Tracing

/// A service of one method: `handler` gets the context and may call elsewhere.
struct OneMethod: KRPCService {
    let serviceName: String
    let method: KRPCMethod
    var methods: [KRPCMethod] { [self.method] }
}

/// What a handler saw: the trace id of `ServiceContext.current` and the metadata.
final class Sightings: Sendable {
    private let seen = Mutex<[String: (traceID: String?, metadata: KRPCMetadata)]>([:])

    func record(_ name: String, _ context: KRPCServerContext) {
        let traceID = ServiceContext.current?.inMemorySpanContext?.traceID
        self.seen.withLock { $0[name] = (traceID, context.metadata) }
    }

    subscript(name: String) -> (traceID: String?, metadata: KRPCMetadata)? { self.seen.withLock { $0[name] } }
}

/// A server on 127.0.0.1, port 0, for the duration of `body`.
func withServer<T: Sendable>(
    _ services: [any KRPCService],
    interceptors: [any KRPCServerInterceptor],
    _ body: (NodeAddress) async throws -> T
) async throws -> T {
    let server = KRPCServer(configuration: .init(interceptors: interceptors), services: services)
    let running = Task { try await server.run() }
    defer { server.beginGracefulShutdown() }
    let result = try await body(try await server.listeningAddress())
    server.beginGracefulShutdown()
    try await running.value
    return result
}

/// A connection through `interceptors` for the duration of `body`.
func withConnection<T: Sendable>(
    to address: NodeAddress,
    interceptors: [any KRPCClientInterceptor],
    _ body: (NodeConnection) async throws -> T
) async throws -> T {
    let connection = NodeConnection(
        to: address,
        configuration: .init(defaultDeadline: .seconds(20), interceptors: interceptors)
    )
    do {
        let result = try await body(connection)
        await connection.close()
        return result
    } catch {
        await connection.close()
        throw error
    }
}

func echo(_ caller: some KRPCCaller, _ service: String, _ method: String, _ text: String = "")
    async throws(KRPCError)
    -> String
{
    let response: EchoResponse = try await caller.call(
        service: service, method: method, request: EchoRequest.with { $0.value = Data(text.utf8) }
    )
    return String(decoding: response.value, as: UTF8.self)
}

@Suite("Tracing interceptors with an in-memory tracer, over real sockets")
struct TracingInterceptorTests {
    @Test("one trace id from a client call, through the handler, into the call the handler makes to a second server")
    func nestedCall() async throws {
        let tracer = InMemoryTracer()
        let seen = Sightings()
        let inner = OneMethod(
            serviceName: "Inner",
            method: .unary("Ping") { (request: EchoRequest, context) in
                seen.record("inner", context)
                return EchoResponse.with { $0.value = request.value }
            }
        )
        try await withServer([inner], interceptors: [KRPCServerTracingInterceptor(tracer: tracer)]) { innerAddress in
            let innerConnection = NodeConnection(
                to: innerAddress,
                configuration: .init(
                    defaultDeadline: .seconds(20), interceptors: [KRPCClientTracingInterceptor(tracer: tracer)])
            )
            let outer = OneMethod(
                serviceName: "Outer",
                method: .unary("Call") { (request: EchoRequest, context) in
                    seen.record("outer", context)
                    let text = try await echo(innerConnection, "Inner", "Ping", "nested")
                    return EchoResponse.with { $0.value = Data("outer+\(text)".utf8) }
                }
            )
            try await withServer([outer], interceptors: [KRPCServerTracingInterceptor(tracer: tracer)]) {
                outerAddress in
                try await withConnection(to: outerAddress, interceptors: [KRPCClientTracingInterceptor(tracer: tracer)])
                {
                    connection in
                    let answer = try await echo(connection, "Outer", "Call")
                    #expect(answer == "outer+nested")
                }
            }
            await innerConnection.close()
        }

        let spans = tracer.finishedSpans
        #expect(spans.count == 4)
        let clientOuter = try #require(spans.first { $0.operationName == "Outer/Call" && $0.kind == .client })
        let serverOuter = try #require(spans.first { $0.operationName == "Outer/Call" && $0.kind == .server })
        let clientInner = try #require(spans.first { $0.operationName == "Inner/Ping" && $0.kind == .client })
        let serverInner = try #require(spans.first { $0.operationName == "Inner/Ping" && $0.kind == .server })
        let traceID = clientOuter.traceID
        #expect(clientOuter.parentSpanID == nil)
        #expect([serverOuter, clientInner, serverInner].allSatisfy { $0.traceID == traceID })
        #expect(serverOuter.parentSpanID == clientOuter.spanID)
        #expect(clientInner.parentSpanID == serverOuter.spanID)
        #expect(serverInner.parentSpanID == clientInner.spanID)
        // The handlers ran with the trace in ServiceContext.current, and it travelled in the metadata.
        #expect(seen["outer"]?.traceID == traceID)
        #expect(seen["inner"]?.traceID == traceID)
        #expect(seen["inner"]?.metadata.firstString(forKey: InMemoryTracer.traceIDKey) == traceID)
        #expect(seen["inner"]?.metadata.firstString(forKey: InMemoryTracer.spanIDKey) == clientInner.spanID)
        #expect(serverOuter.attributes["rpc.system"]?.toSpanAttribute() == "krpc")
        #expect(serverOuter.attributes["rpc.service"]?.toSpanAttribute() == "Outer")
        #expect(serverOuter.attributes["rpc.method"]?.toSpanAttribute() == "Call")
        #expect(serverOuter.attributes["rpc.krpc.status_code"]?.toSpanAttribute() == 0)
        #expect(serverOuter.status == nil)
    }

    @Test("a failing handler: both spans record the error's code, with status error")
    func failure() async throws {
        let tracer = InMemoryTracer()
        let failing = OneMethod(
            serviceName: "Bad",
            method: .unary("Fail") { (_: EchoRequest, _) -> EchoResponse in
                throw KRPCError(code: .invalidRequest, message: "no")
            }
        )
        try await withServer([failing], interceptors: [KRPCServerTracingInterceptor(tracer: tracer)]) { address in
            try await withConnection(to: address, interceptors: [KRPCClientTracingInterceptor(tracer: tracer)]) {
                connection in
                let error = await #expect(throws: KRPCError.self) { try await echo(connection, "Bad", "Fail") }
                #expect(error?.code == .invalidRequest)
            }
        }
        let spans = tracer.finishedSpans
        #expect(spans.count == 2)
        for span in spans {
            #expect(span.status?.code == .error)
            #expect(span.status?.message == "no")
            #expect(span.attributes["rpc.krpc.status_code"]?.toSpanAttribute() == 3)
            #expect(span.errors.count == 1)
        }
        #expect(Set(spans.map(\.traceID)).count == 1)
    }

    @Test("a non-suspending method is traced without a task: the span is current in the handler")
    func nonSuspending() async throws {
        let tracer = InMemoryTracer()
        let seen = Sightings()
        let ran = Mutex<Bool?>(nil)
        let quick = OneMethod(
            serviceName: "Quick",
            method: .unaryNonSuspending("Echo") { (request: EchoRequest, context) in
                seen.record("quick", context)
                ran.withLock { $0 = withUnsafeCurrentTask { $0 != nil } }
                return EchoResponse.with { $0.value = request.value }
            }
        )
        try await withServer([quick], interceptors: [KRPCServerTracingInterceptor(tracer: tracer)]) { address in
            try await withConnection(to: address, interceptors: [KRPCClientTracingInterceptor(tracer: tracer)]) {
                connection in
                let answer = try await echo(connection, "Quick", "Echo", "x")
                #expect(answer == "x")
            }
        }
        #expect(ran.withLock { $0 } == false)
        let server = try #require(tracer.finishedSpans.first { $0.kind == .server })
        #expect(seen["quick"]?.traceID == server.traceID)
        #expect(server.operationName == "Quick/Echo")
    }

    @Test("with the no-op tracer nothing is injected and the handler sees no context")
    func noOp() async throws {
        let seen = Sightings()
        let service = OneMethod(
            serviceName: "Plain",
            method: .unary("Get") { (request: EchoRequest, context) in
                seen.record("plain", context)
                return EchoResponse.with { $0.value = request.value }
            }
        )
        try await withServer([service], interceptors: [KRPCServerTracingInterceptor(tracer: NoOpTracer())]) { address in
            try await withConnection(to: address, interceptors: [KRPCClientTracingInterceptor(tracer: NoOpTracer())]) {
                connection in
                let answer = try await echo(connection, "Plain", "Get", "y")
                #expect(answer == "y")
            }
        }
        #expect(seen["plain"]?.metadata.isEmpty == true)
        #expect(seen["plain"]?.traceID == nil)
        // Installed with the no-op tracer they are pass-throughs, left out of the chain (they cost nothing);
        // with a real tracer they run.
        #expect(KRPCServerTracingInterceptor(tracer: NoOpTracer()).passesEveryCallOn)
        #expect(KRPCClientTracingInterceptor(tracer: NoOpTracer()).passesEveryCallOn)
        #expect(!KRPCServerTracingInterceptor(tracer: InMemoryTracer()).passesEveryCallOn)
        #expect(!KRPCClientTracingInterceptor(tracer: InMemoryTracer()).passesEveryCallOn)
    }
}
