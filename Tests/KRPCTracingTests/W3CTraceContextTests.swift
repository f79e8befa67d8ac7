import Foundation
import InMemoryTracing
import KRPC
import KRPCTracing
import KRPCWire
import Synchronization
import Testing
import Tracing

/// A tracer that propagates W3C Trace Context (`traceparent`, `tracestate`), as OpenTelemetry's tracers do, and
/// keeps its spans in memory: ``InMemoryTracer`` with W3C-sized ids and W3C headers. The interceptors know
/// nothing of the format; this shows it reaches the wire as the Trace Context recommendation writes it.
struct W3CTestTracer: Tracer {
    let spans: InMemoryTracer
    static let state = "krpc=t61rcWkgMzE"

    init() {
        let counter = Atomic<UInt64>(0)
        // Lower-case hex: 32 digits for a trace id, 16 for a span id; never all zeros.
        self.spans = InMemoryTracer(
            idGenerator: .init(
                nextTraceID: { String(format: "%032llx", counter.add(1, ordering: .relaxed).newValue << 8) },
                nextSpanID: { String(format: "%016llx", counter.add(1, ordering: .relaxed).newValue) }
            ))
    }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> InMemorySpan {
        self.spans.startSpan(
            operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID,
            line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Carrier == Inject.Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
        injector.inject(Self.state, forKey: "tracestate", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Carrier == Extract.Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = header.split(separator: "-")
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16 else { return }
        context.inMemorySpanContext = InMemorySpanContext(
            traceID: String(parts[1]), spanID: String(parts[2]), parentSpanID: nil)
    }
}

extension TracingInterceptorTests {
    @Test("with a W3C tracer the request carries traceparent and tracestate, and the server continues that trace")
    func w3cTraceContext() async throws {
        let tracer = W3CTestTracer()
        let seen = Sightings()
        let service = OneMethod(
            serviceName: "Plain",
            method: .unary("Get") { (request: EchoRequest, context) in
                seen.record("plain", context)
                return EchoResponse.with { $0.value = request.value }
            }
        )
        try await withServer([service], interceptors: [KRPCServerTracingInterceptor(tracer: tracer)]) { address in
            try await withConnection(to: address, interceptors: [KRPCClientTracingInterceptor(tracer: tracer)]) {
                connection in
                let answer = try await echo(connection, "Plain", "Get", "w3c")
                #expect(answer == "w3c")
            }
        }
        let spans = tracer.spans.finishedSpans
        let client = try #require(spans.first { $0.kind == .client })
        let server = try #require(spans.first { $0.kind == .server })
        let metadata = try #require(seen["plain"]?.metadata)
        // The header as the recommendation writes it: version 00, the client span's trace and span id, sampled.
        #expect(metadata.firstString(forKey: "traceparent") == "00-\(client.traceID)-\(client.spanID)-01")
        #expect(metadata.firstString(forKey: "tracestate") == W3CTestTracer.state)
        #expect(client.traceID.count == 32 && client.spanID.count == 16)
        #expect(server.traceID == client.traceID)
        #expect(server.parentSpanID == client.spanID)
        #expect(seen["plain"]?.traceID == client.traceID)
    }
}
