public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// A small HTTP/1.1 server on SwiftNIO that serves a ``PrometheusCollectorRegistry`` at `GET /metrics` in the
/// Prometheus text format (no web framework): 404 for other paths, 405 for other methods, requests bounded in
/// size, idle connections closed.
///
/// A lifecycle `Service`: ``run()`` binds, tells ``Configuration/onListening`` the bound address (with the real
/// port when asked for port 0), serves until cancelled or shut down gracefully, then closes its listener and
/// every connection and returns.
///
/// ```swift
/// let server = MetricsHTTPServer(registry: registry, configuration: .init(host: "127.0.0.1", port: 9464))
/// try await server.run()   // or in a ServiceGroup
/// ```
public struct MetricsHTTPServer: Service {
    /// Where and how the server listens. Every field has a default.
    public struct Configuration: Sendable {
        /// The address to bind (default `127.0.0.1`).
        public var host: String
        /// The port to bind; 0 (default) lets the kernel pick one (see ``onListening``).
        public var port: Int
        /// The largest request head (target and header fields, counted in bytes) and body accepted
        /// (default 8 KiB): a larger head is answered 431, a larger body 413, and the connection closed.
        public var maximumRequestBytes: Int
        /// A connection that sends no request for this long is closed (default 30 s).
        public var idleTimeout: Duration
        /// Told the bound address once the server listens.
        public var onListening: (@Sendable (SocketAddress) -> Void)?
        /// Where the server logs (default: nowhere). Logs at info and below.
        public var logger: Logger
        /// The event loops to serve on (default: `MultiThreadedEventLoopGroup.singleton`).
        public var eventLoopGroup: (any EventLoopGroup)?

        /// Creates a configuration; every field defaults.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            maximumRequestBytes: Int = 8 * 1024,
            idleTimeout: Duration = .seconds(30),
            onListening: (@Sendable (SocketAddress) -> Void)? = nil,
            logger: Logger = Logger(label: "krpc.metrics", factory: { _ in SwiftLogNoOpLogHandler() }),
            eventLoopGroup: (any EventLoopGroup)? = nil
        ) {
            self.host = host
            self.port = port
            self.maximumRequestBytes = maximumRequestBytes
            self.idleTimeout = idleTimeout
            self.onListening = onListening
            self.logger = logger
            self.eventLoopGroup = eventLoopGroup
        }
    }

    /// The registry served.
    public let registry: PrometheusCollectorRegistry
    /// How it listens.
    public let configuration: Configuration

    /// Creates a server for `registry`; nothing is bound before ``run()``.
    public init(registry: PrometheusCollectorRegistry, configuration: Configuration = Configuration()) {
        self.registry = registry
        self.configuration = configuration
    }

    /// Binds, serves until the task is cancelled or the service group shuts down, then closes every connection.
    /// - Throws: ``MetricsHTTPServerError`` when the configuration is invalid or the address cannot be bound.
    public func run() async throws {
        let configuration = self.configuration
        guard (0...65535).contains(configuration.port) else {
            throw MetricsHTTPServerError("port must be 0...65535, got \(configuration.port)")
        }
        guard configuration.maximumRequestBytes >= 256, configuration.idleTimeout > .zero else {
            throw MetricsHTTPServerError("maximumRequestBytes must be >= 256 and idleTimeout > 0")
        }
        let registry = self.registry
        let render: @Sendable () -> [UInt8] = {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return buffer
        }
        let connections = ConnectionSet()
        let idle = TimeAmount.nanoseconds(
            Int64(clamping: configuration.idleTimeout.components.seconds) &* 1_000_000_000
                &+ configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        let maximum = configuration.maximumRequestBytes
        let bootstrap = ServerBootstrap(group: configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: idle))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(MetricsHTTPHandler(maximumRequestBytes: maximum, render: render))
                    connections.add(channel)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw MetricsHTTPServerError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        if let address = listener.localAddress {
            configuration.logger.info("serving /metrics", metadata: ["krpc.metrics.address": "\(address)"])
            configuration.onListening?(address)
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await listener.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            listener.close(promise: nil)
        }
        // The listener is closed: no connection is added any more. Close the open ones and wait for them.
        let open = connections.closeAll()
        for channel in open { try? await channel.closeFuture.get() }
        configuration.logger.info("stopped serving /metrics")
    }
}

/// Why ``MetricsHTTPServer/run()`` failed.
public struct MetricsHTTPServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}

/// The open connections of a ``MetricsHTTPServer``, to close them on shutdown.
private final class ConnectionSet: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Tracks `channel` until it closes; closes it at once after ``closeAll()``.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let accepted: Bool = self.state.withLock { state in
            guard !state.closed else { return false }
            state.open[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLock { $0.open.removeValue(forKey: id) }
        }
    }

    /// Closes every open connection and returns them (to wait for).
    func closeAll() -> [any Channel] {
        let open = self.state.withLock { state in
            state.closed = true
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
        return open
    }
}

extension MetricsHTTPServer {
    /// `HOST:PORT` of a bound address (`[HOST]:PORT` for IPv6), as the executables print it.
    public static func describe(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        let port = address.port.map(String.init) ?? "?"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
