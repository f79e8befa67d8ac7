import KRPCPolicy
import NIOCore

/// One served method, resolved once at server start: handler, statistics and counter key.
final class MethodEntry: Sendable {
    let service: String
    let method: String
    let key: ServiceKey
    let invoke: @Sendable (ByteBuffer, KRPCServerContext) async -> Result<[UInt8], KRPCError>
    /// Set for a method declared non-suspending: called on the event loop, without a task.
    let invokeNow: (@Sendable (ByteBuffer, KRPCServerContext) -> Result<[UInt8], KRPCError>)?
    let statistics: ServerStatistics.Method
    /// The server's interceptors, or `nil` when it has none.
    let interceptors: ServerInterceptorChain?
    /// Injected faults pass this method by: `Stats.Get`, so that a server under a fault can still be observed.
    /// (`Health.Check` is not exempt: probes must see the fault.)
    let ignoresFaults: Bool

    init(
        service: String,
        method: KRPCMethod,
        statistics: ServerStatistics.Method,
        interceptors: ServerInterceptorChain? = nil
    ) {
        self.service = service
        self.method = method.name
        self.key = ServiceKey(service: service, method: method.name)
        self.ignoresFaults = service == StatsService.name
        self.invoke = method.invoke
        self.invokeNow = method.invokeNow
        self.statistics = statistics
        self.interceptors = interceptors
    }
}

/// `service -> method -> entry`, immutable once the server starts.
struct MethodTable: Sendable {
    enum Lookup {
        case found(MethodEntry)
        case unknownService
        case unknownMethod
    }

    private let services: [String: [String: MethodEntry]]

    init(services: [any KRPCService], statistics: ServerStatistics, interceptors: [any KRPCServerInterceptor] = []) {
        let chain = ServerInterceptorChain(interceptors)
        var table: [String: [String: MethodEntry]] = [:]
        for service in services {
            let name = service.serviceName
            for method in service.methods {
                guard let stats = statistics.method(service: name, method: method.name) else { continue }
                table[name, default: [:]][method.name] = MethodEntry(
                    service: name, method: method, statistics: stats, interceptors: chain
                )
            }
        }
        self.services = table
    }

    func lookup(service: String, method: String) -> Lookup {
        guard let methods = self.services[service] else { return .unknownService }
        guard let entry = methods[method] else { return .unknownMethod }
        return .found(entry)
    }

    /// `Service.Method` of every served method, sorted.
    var keys: [ServiceKey] {
        self.services.values.flatMap { $0.values.map(\.key) }.sorted()
    }
}
