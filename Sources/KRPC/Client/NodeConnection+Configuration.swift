public import Logging

extension NodeConnection {
    /// How a ``NodeConnection`` connects and calls. Every field has a default.
    public struct Configuration: Sendable {
        /// The deadline of a call that gives none (default 5 s, as in the seed).
        public var defaultDeadline: Duration
        /// How long one connection attempt may take (default 3 s).
        public var connectTimeout: Duration
        /// Wait after the first failed connection attempt (default 50 ms); it doubles with each
        /// failure up to ``maximumBackoff``, ±20 % jitter. The first attempt after a dropped
        /// connection is immediate.
        public var initialBackoff: Duration
        /// The longest wait between attempts (default 5 s).
        public var maximumBackoff: Duration
        /// The largest frame sent or accepted (default 4 MiB).
        public var maximumFrameLength: Int
        /// Requests are flushed at the end of each event-loop tick or after this many frames
        /// (default 8: with a flush every 16 frames and 16 calls in flight, client and server ran in
        /// lock-step at 0.7× the throughput of 8; with 64 in flight, 8 and 16 measured alike).
        public var flushEvery: Int
        /// Where the connection logs (default: nowhere). Logs at debug and below.
        public var logger: Logger
        /// Wrap every call made on the connection (default: none), the first outermost: see
        /// ``KRPCClientInterceptor``. For the connections of a ``KRPCChannel`` (its
        /// ``KRPCChannel/Configuration/connection``) they wrap each attempt; the channel's own
        /// ``KRPCChannel/Configuration/interceptors`` wrap each call.
        public var interceptors: [any KRPCClientInterceptor]

        /// Creates a configuration; every field defaults.
        public init(
            defaultDeadline: Duration = .seconds(5),
            connectTimeout: Duration = .seconds(3),
            initialBackoff: Duration = .milliseconds(50),
            maximumBackoff: Duration = .seconds(5),
            maximumFrameLength: Int = 4 * 1024 * 1024,
            flushEvery: Int = 8,
            logger: Logger = Logger(label: "krpc.connection", factory: { _ in SwiftLogNoOpLogHandler() }),
            interceptors: [any KRPCClientInterceptor] = []
        ) {
            self.defaultDeadline = defaultDeadline
            self.connectTimeout = connectTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.maximumFrameLength = maximumFrameLength
            self.flushEvery = flushEvery
            self.logger = logger
            self.interceptors = interceptors
        }
    }
}
