public import KRPCPolicy
import KRPCWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A krpc server ("provider"): serves registered services over framed TCP connections.
///
/// Every server also answers `Health.Check` (``HealthService``) and `Stats.Get` (per-method
/// counters), unless a service of that name is registered. Many connections, many calls in flight
/// per connection, responses in any order; each call's handler runs in its own task pinned to its
/// connection's event loop.
///
/// ```swift
/// let server = KRPCServer(
///     configuration: .init(host: "127.0.0.1", port: 0, logger: logger, faultSource: faults, counters: counts),
///     services: [MyUserService(), EchoService()]
/// )
/// let serving = Task { try await server.run() }          // binds, serves until shut down
/// let address = try await server.listeningAddress()        // 127.0.0.1:<free port>
/// // ...
/// server.beginGracefulShutdown()                           // stop accepting, drain, close
/// try await serving.value                                  // (cancelling `serving` does the same)
/// ```
public final class KRPCServer: Sendable {
    private enum Phase {
        case idle
        case starting
        case running(any Channel, NodeAddress)
        case draining
        case stopped
    }

    private struct State {
        var phase: Phase = .idle
        var address: NodeAddress?
        var shutdownRequested = false
        var failure: KRPCError?
        var addressWaiters: [CheckedContinuation<NodeAddress, any Error>] = []
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    /// Per-method counters of the calls this server handled.
    public let statistics: ServerStatistics
    private let table: MethodTable
    private let state = Mutex(State())
    private let startedAt = ContinuousClock.now
    private let liveHandlers = LiveObjectCounter()

    /// Creates a server for `services`; nothing is bound before ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: where to listen and how to serve.
    ///   - services: the services to serve. A later service with the same name as an earlier one
    ///     replaces it. `Health` and `Stats` are added unless given here.
    public init(configuration: Configuration = Configuration(), services: [any KRPCService]) {
        self.configuration = configuration
        var all: [String: any KRPCService] = [:]
        var order: [String] = []
        for service in services {
            if all[service.serviceName] == nil { order.append(service.serviceName) }
            all[service.serviceName] = service
        }
        if all[HealthService.name] == nil {
            all[HealthService.name] = HealthService()
            order.append(HealthService.name)
        }
        let statsBox = StatsService.Box()
        if all[StatsService.name] == nil {
            all[StatsService.name] = StatsService(box: statsBox)
            order.append(StatsService.name)
        }
        let ordered = order.compactMap { all[$0] }
        (all[HealthService.name] as? HealthService)?.attach(serving: order)
        self.statistics = ServerStatistics(services: ordered)
        self.table = MethodTable(
            services: ordered, statistics: self.statistics, interceptors: configuration.interceptors
        )
        statsBox.server.withLock { $0 = WeakServer(self) }
    }

    /// The address the server listens on, once it does; `nil` before and after. (Users wait with
    /// ``listeningAddress()``.)
    package var boundAddress: NodeAddress? {
        self.state.withLock { state in
            if case .running(_, let address) = state.phase { return address }
            return nil
        }
    }

    /// The `Service.Method` keys this server serves (for registering them).
    public var serviceKeys: [ServiceKey] { self.table.keys }

    /// The connection handlers of this server still in memory: those of open connections, and of
    /// closed ones not yet freed (which should be none soon after they close).
    package var liveConnectionHandlers: Int { self.liveHandlers.count }

    /// How long the server has been up.
    package var uptime: Duration { ContinuousClock.now - self.startedAt }

    /// Waits until the server listens and returns its address (with the real port when the
    /// configuration asked for port 0).
    /// - Throws: the error ``run()`` failed with, or ``KRPCError/Code/unavailable`` when the server
    ///   was shut down before it listened.
    public func listeningAddress() async throws(KRPCError) -> NodeAddress {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let result: Result<NodeAddress, KRPCError>? = self.state.withLock { state in
                    if let address = state.address, case .running = state.phase { return .success(address) }
                    if let failure = state.failure { return .failure(failure) }
                    switch state.phase {
                    case .idle, .starting:
                        state.addressWaiters.append(continuation)
                        return nil
                    case .running(_, let address):
                        return .success(address)
                    case .draining, .stopped:
                        return .failure(KRPCError(code: .unavailable, message: "the server is shut down"))
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        } catch let error as KRPCError {
            throw error
        } catch {
            throw KRPCError(code: .internal, message: "\(error)", cause: error)
        }
    }

    /// The name this server goes by for others: ``Configuration/advertisedHost`` (or the bound host)
    /// with the bound port. What it registers and counts calls under; waits like ``listeningAddress()``.
    public func nodeAddress() async throws(KRPCError) -> NodeAddress {
        self.configuration.nodeAddress(port: try await self.listeningAddress().port)
    }

    /// Binds, serves until ``beginGracefulShutdown()`` or until the calling task is cancelled, drains
    /// (within ``Configuration/gracePeriod``), and returns.
    ///
    /// - Throws: ``KRPCError`` when the configuration is invalid, the address cannot be bound, or
    ///   the server already ran.
    public func run() async throws(KRPCError) {
        let proceed: Bool = self.state.withLock { state in
            guard case .idle = state.phase else { return false }
            state.phase = .starting
            return true
        }
        guard proceed else {
            throw KRPCError(code: .internal, message: "KRPCServer.run() may be called once")
        }
        let listener: any Channel
        let address: NodeAddress
        do {
            try self.configuration.validate()
            (listener, address) = try await self.bind()
        } catch {
            self.failStart(error)
            throw error
        }
        let (waiters, stopNow): ([CheckedContinuation<NodeAddress, any Error>], Bool) = self.state.withLock { state in
            state.phase = .running(listener, address)
            state.address = address
            defer { state.addressWaiters = [] }
            return (state.addressWaiters, state.shutdownRequested)
        }
        self.configuration.logger.info(
            "listening",
            metadata: ["krpc.address": "\(address)", "krpc.services": "\(self.serviceKeys.map(\.description))"]
        )
        for waiter in waiters { waiter.resume(returning: address) }
        if stopNow { self.beginGracefulShutdown() }

        // Cancelling the task that runs the server is a graceful shutdown: the listener closes,
        // then the drain below (which does not itself react to cancellation) gets its grace period.
        await withTaskCancellationHandler {
            try? await listener.closeFuture.get()
        } onCancel: {
            self.beginGracefulShutdown()
        }
        await self.drain()
        self.state.withLock { $0.phase = .stopped }
        self.configuration.logger.info("stopped", metadata: ["krpc.address": "\(address)"])
    }

    /// Stops accepting connections, lets calls in flight finish for up to the grace period, then
    /// closes every connection; ``run()`` returns after that. New calls on open connections are
    /// answered ``KRPCError/Code/unavailable`` meanwhile. Safe to call more than once, from anywhere.
    public func beginGracefulShutdown() {
        let listener: (any Channel)? = self.state.withLock { state in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return nil
            case .starting:
                state.shutdownRequested = true
                return nil
            case .running(let listener, _):
                state.phase = .draining
                return listener
            case .draining, .stopped:
                return nil
            }
        }
        listener?.close(promise: nil)
    }

    // MARK: Internals

    private func failStart(_ error: KRPCError) {
        let waiters = self.state.withLock { state in
            state.phase = .stopped
            state.failure = error
            defer { state.addressWaiters = [] }
            return state.addressWaiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private func bind() async throws(KRPCError) -> (any Channel, NodeAddress) {
        let configuration = self.configuration
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let settingsBox = Mutex<ServerConnectionSettings?>(nil)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self, let settings = settingsBox.withLock({ $0 }) else {
                        throw KRPCError(code: .unavailable, message: "server is gone")
                    }
                    let handler = ServerConnectionHandler(settings: settings, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    self.track(channel)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw KRPCError(
                code: .unavailable,
                message: "cannot listen on \(configuration.host):\(configuration.port)",
                cause: error
            )
        }
        let port = listener.localAddress?.port ?? configuration.port
        let address = NodeAddress(host: configuration.host, port: port)
        settingsBox.withLock {
            $0 = ServerConnectionSettings(
                table: self.table,
                maximumFrameLength: configuration.maximumFrameLength,
                flushEvery: configuration.flushEvery,
                maximumConcurrentCalls: configuration.maximumConcurrentCallsPerConnection ?? .max,
                idleTimeout: configuration.idleTimeout,
                logger: configuration.logger,
                faultSource: configuration.faultSource,
                counters: configuration.counters,
                node: configuration.nodeAddress(port: port),
                liveHandlers: self.liveHandlers
            )
        }
        return (listener, address)
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let drainNow: Bool = self.state.withLock { state in
            state.connections[id] = channel
            if case .draining = state.phase { return true }
            return false
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
        if drainNow {
            channel.pipeline.fireUserInboundEventTriggered(ServerDrainEvent())
        }
    }

    /// Drains every connection within the grace period and waits until all are closed. It waits on
    /// event-loop futures and an event-loop timer: it must keep its grace period when the task
    /// running the server was cancelled (a `Task.sleep` would end at once).
    ///
    /// Then it waits until every connection handler is freed, which is when the last handler task
    /// of its calls has ended (a task holds its handler to answer; closing a connection cancels its
    /// tasks): no task the server started outlives ``run()``. Handler code that ignores cancellation
    /// gets one more grace period, then ``run()`` returns anyway and says so in the log.
    private func drain() async {
        let channels = self.state.withLock { Array($0.connections.values) }
        let group = self.configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let timerLoop = channels.first?.eventLoop ?? group.next()
        if !channels.isEmpty {
            self.configuration.logger.info("draining", metadata: ["krpc.connections": "\(channels.count)"])
            let allClosed = Self.drain(
                channels,
                gracePeriod: self.configuration.gracePeriod,
                timerLoop: timerLoop,
                logger: self.configuration.logger
            )
            try? await allClosed.get()
        }
        let bound = max(self.configuration.gracePeriod, .seconds(1))
        if await !self.liveHandlers.waitUntilZero(timeout: bound, on: timerLoop) {
            self.configuration.logger.warning(
                "handler code still running after the connections closed; it ignores cancellation",
                metadata: ["krpc.connections": "\(self.liveHandlers.count)"]
            )
        }
    }

    /// Asks every connection in `channels` to drain (each closes once its calls are answered), and
    /// closes those still open after `gracePeriod`, timed on `timerLoop`. The future completes once
    /// all are closed.
    static func drain(
        _ channels: [any Channel],
        gracePeriod: Duration,
        timerLoop: any EventLoop,
        logger: Logger
    ) -> EventLoopFuture<Void> {
        for channel in channels {
            channel.eventLoop.execute {
                channel.pipeline.fireUserInboundEventTriggered(ServerDrainEvent())
            }
        }
        let closeAfterGrace = timerLoop.scheduleTask(in: .nanoseconds(Int64(clamping: gracePeriod.nanoseconds))) {
            let left = channels.filter(\.isActive)
            if !left.isEmpty {
                logger.info("grace period over, closing connections", metadata: ["krpc.connections": "\(left.count)"])
            }
            for channel in left { channel.close(mode: .all, promise: nil) }
        }
        let allClosed = EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: timerLoop)
        allClosed.whenComplete { _ in closeAfterGrace.cancel() }
        return allClosed
    }
}

/// A weak reference to the server, for the built-in Stats service it owns.
struct WeakServer: @unchecked Sendable {
    // @unchecked Sendable: `KRPCServer` is Sendable; a weak reference to it is only read.
    weak var server: KRPCServer?
    init(_ server: KRPCServer) { self.server = server }
}
