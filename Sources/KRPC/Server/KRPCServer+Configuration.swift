import KRPCPolicy
public import Logging
public import NIOCore

extension KRPCServer {
    /// How a ``KRPCServer`` listens and serves. Every field has a default.
    public struct Configuration: Sendable {
        /// The address to bind, e.g. `127.0.0.1` (default) or `0.0.0.0`.
        public var host: String
        /// The port to bind; 0 (default) lets the kernel pick a free one (see
        /// ``KRPCServer/listeningAddress()``).
        public var port: Int
        /// The host others reach this server by, when it differs from ``host`` (a server bound to
        /// `0.0.0.0` is reached at one of its real addresses): with the bound port, the name it goes by
        /// for counters (see ``KRPCServer/nodeAddress()``). `nil` (default): ``host``.
        public var advertisedHost: String?
        /// The largest frame accepted or sent, counted as the frame's length prefix counts
        /// (default 4 MiB). A client announcing a larger frame gets a GOAWAY and is disconnected.
        public var maximumFrameLength: Int
        /// How long ``KRPCServer/beginGracefulShutdown()`` lets calls in flight finish before
        /// closing their connections (default 5 s).
        public var gracePeriod: Duration
        /// A connection with no call in flight that sends nothing for this long is closed
        /// (default 5 minutes; `nil` = never).
        public var idleTimeout: Duration?
        /// Responses are written in batches and flushed at the end of each event-loop tick, or
        /// after this many frames, whichever comes first (default 8).
        ///
        /// A flush per response costs a syscall each; one flush per read batch makes client and
        /// server run in lock-step. 8–16 keeps both busy (shared/bench/FINDINGS.md, lesson 3); 8 (the
        /// default) also keeps 16 calls in flight from lock-stepping.
        public var flushEvery: Int
        /// The most calls one connection may have in flight (default 16,384; `nil` = no limit). A request
        /// past it is answered at once with ``KRPCError/Code/overloaded`` and its handler does not run, so a
        /// client that floods a connection cannot make the server hold unbounded tasks and memory. Calls held
        /// by a `timeout` fault count.
        public var maximumConcurrentCallsPerConnection: Int?
        /// Where the server logs (default: nowhere). Logs at info and below.
        public var logger: Logger
        /// Where the server reads the fault to inject (`krpc:fault:<host:port>`), or `nil`.
        ///
        /// Asked once per call. The fault applies to every method but `Stats.Get` (so a faulty server
        /// can still be observed), `Health.Check` included (so probes see it):
        /// `error` answers ``KRPCError/Code/internal`` "injected error"; `timeout` holds the call
        /// (no thread, no task) and never answers before the caller's deadline; `delay:<ms>`
        /// answers that much later; `error-rate:p` fails that share of calls at random.
        public var faultSource: (any FaultSource)?
        /// Where the server counts handled calls, or `nil`. Called once per handled call, on the
        /// event loop: it must not block.
        public var counters: (any CallCounterStore)?
        /// The event loops to serve on (default: `MultiThreadedEventLoopGroup.singleton`, one
        /// loop per core).
        public var eventLoopGroup: (any EventLoopGroup)?
        /// Wrap every call of every service (default: none), the first outermost: see
        /// ``KRPCServerInterceptor``. Calls refused before their handler would run (unknown method,
        /// overload, shutdown, an injected fault) do not reach them.
        public var interceptors: [any KRPCServerInterceptor]

        /// Creates a configuration; every field defaults.
        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            advertisedHost: String? = nil,
            maximumFrameLength: Int = 4 * 1024 * 1024,
            gracePeriod: Duration = .seconds(5),
            idleTimeout: Duration? = .seconds(300),
            flushEvery: Int = 8,
            maximumConcurrentCallsPerConnection: Int? = 16_384,
            logger: Logger = Logger(label: "krpc.server", factory: { _ in SwiftLogNoOpLogHandler() }),
            faultSource: (any FaultSource)? = nil,
            counters: (any CallCounterStore)? = nil,
            eventLoopGroup: (any EventLoopGroup)? = nil,
            interceptors: [any KRPCServerInterceptor] = []
        ) {
            self.host = host
            self.port = port
            self.advertisedHost = advertisedHost
            self.maximumFrameLength = maximumFrameLength
            self.gracePeriod = gracePeriod
            self.idleTimeout = idleTimeout
            self.flushEvery = flushEvery
            self.maximumConcurrentCallsPerConnection = maximumConcurrentCallsPerConnection
            self.logger = logger
            self.faultSource = faultSource
            self.counters = counters
            self.eventLoopGroup = eventLoopGroup
            self.interceptors = interceptors
        }

        /// The name the server goes by once bound to `port`: ``advertisedHost`` (or ``host``) and that port.
        func nodeAddress(port: Int) -> NodeAddress {
            NodeAddress(host: self.advertisedHost ?? self.host, port: port)
        }

        /// Checks every field; throws an error naming the bad one.
        func validate() throws(KRPCError) {
            guard (0...65535).contains(self.port) else {
                throw KRPCError(code: .invalidRequest, message: "port must be 0...65535, got \(self.port)")
            }
            guard self.maximumFrameLength >= 64 else {
                throw KRPCError(code: .invalidRequest, message: "maximumFrameLength must be >= 64, got \(self.maximumFrameLength)")
            }
            guard self.gracePeriod >= .zero else {
                throw KRPCError(code: .invalidRequest, message: "gracePeriod must be >= 0, got \(self.gracePeriod)")
            }
            if let idle = self.idleTimeout, idle <= .zero {
                throw KRPCError(code: .invalidRequest, message: "idleTimeout must be > 0, got \(idle)")
            }
            guard self.flushEvery >= 1 else {
                throw KRPCError(code: .invalidRequest, message: "flushEvery must be >= 1, got \(self.flushEvery)")
            }
            if let limit = self.maximumConcurrentCallsPerConnection, limit < 1 {
                throw KRPCError(
                    code: .invalidRequest, message: "maximumConcurrentCallsPerConnection must be >= 1, got \(limit)")
            }
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = self.components
        guard seconds >= 0 else { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        return ns &+ UInt64(attoseconds / 1_000_000_000)
    }
}
