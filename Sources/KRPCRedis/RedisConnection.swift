import CHiredis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One blocking hiredis connection: the only place in krpc that touches a `redisContext`.
///
/// Not thread-safe and blocking, as hiredis is: ``RedisClient`` owns one and uses it only from its
/// single pool thread. Once a call reports a connection-level error (I/O, EOF, protocol, timeout) the
/// context is unusable (a late reply would be read as the answer to the next command), so callers
/// must ``close()`` it and connect anew.
final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?

    private init(context: UnsafeMutablePointer<redisContext>) {
        self.context = context
    }

    deinit { self.close() }

    /// Connects, authenticates and selects the database.
    /// - Throws: ``RedisError`` (``RedisError/Code/connectionFailed``, ``RedisError/Code/timeout``,
    ///   ``RedisError/Code/authenticationFailed``, ``RedisError/Code/serverError``).
    static func connect(_ configuration: RedisConfiguration) throws(RedisError) -> RedisConnection {
        let server = "redis at \(configuration.address)"
        guard
            let context = redisConnectWithTimeout(
                configuration.host,
                Int32(configuration.port),
                timeval(configuration.connectTimeout)
            )
        else {
            throw RedisError(code: .connectionFailed, message: "\(server): cannot allocate a hiredis context")
        }
        if context.pointee.err != 0 {
            let text = String(cString: chr_context_errstr(context))
            let timedOut = text.lowercasedContains("timed out")
            redisFree(context)
            throw RedisError(code: timedOut ? .timeout : .connectionFailed, message: "\(server): \(text)")
        }
        let connection = RedisConnection(context: context)
        // AUTH and SELECT run under the connect timeout; commands then get their own.
        _ = redisSetTimeout(context, timeval(configuration.connectTimeout))
        _ = redisEnableKeepAlive(context)

        if let password = configuration.password {
            let auth =
                configuration.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            let reply = try connection.send(auth)
            if let message = reply.errorMessage {
                connection.close()
                throw RedisError(code: .authenticationFailed, message: "\(server): \(message)")
            }
        }
        if configuration.database != 0 {
            let reply = try connection.send(RedisCommand("SELECT", String(configuration.database)))
            if let message = reply.errorMessage {
                connection.close()
                throw RedisError(
                    code: .serverError,
                    message: "\(server): SELECT \(configuration.database) failed: \(message)"
                )
            }
        }
        // A command issued without AUTH on a server that needs it fails with NOAUTH; check once here
        // so that a missing password is reported as such, and not on every command.
        if configuration.password == nil {
            let reply = try connection.send(RedisCommand("PING"))
            if let message = reply.errorMessage {
                connection.close()
                let code: RedisError.Code = message.hasPrefix("NOAUTH") ? .authenticationFailed : .serverError
                throw RedisError(code: code, message: "\(server): \(message)")
            }
        }
        _ = redisSetTimeout(context, timeval(configuration.commandTimeout))
        return connection
    }

    /// Whether ``close()`` has been called.
    var isClosed: Bool { self.context == nil }

    /// Frees the context (closing the socket). Idempotent.
    func close() {
        if let context = self.context {
            redisFree(context)
            self.context = nil
        }
    }

    /// Sends one command and waits for its reply. An error reply is returned as ``RedisValue/error(_:)``.
    /// - Throws: ``RedisError`` for connection-level failures; the connection is closed then.
    func send(_ command: RedisCommand) throws(RedisError) -> RedisValue {
        try self.pipeline([command])[0]
    }

    /// Sends every command, then reads every reply, in order (one round trip).
    /// Error replies are returned in place as ``RedisValue/error(_:)``.
    /// - Throws: ``RedisError`` for connection-level failures; the connection is closed then, and any
    ///   of the commands may or may not have run.
    func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        guard let context = self.context else {
            throw RedisError(code: .connectionLost, message: "connection is closed")
        }
        // Check all before appending any: a half-written output buffer would desynchronise the connection.
        guard commands.allSatisfy({ !$0.arguments.isEmpty }) else {
            throw RedisError(code: .invalidArgument, message: "a command needs at least its name")
        }
        for command in commands {
            let rc = Self.withArgv(command.arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            if rc != REDIS_OK { throw self.failure(during: command) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for command in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw self.failure(during: command)
            }
            defer { freeReplyObject(raw) }
            replies.append(Self.value(from: raw.assumingMemoryBound(to: redisReply.self)))
        }
        return replies
    }

    /// Translates the context's error (hiredis `err`/`errstr`, errno) into a ``RedisError``, and closes.
    private func failure(during command: RedisCommand) -> RedisError {
        let savedErrno = errno
        guard let context = self.context else {
            return RedisError(code: .connectionLost, message: "connection is closed")
        }
        let text = String(cString: chr_context_errstr(context))
        let code: RedisError.Code
        switch context.pointee.err {
        case REDIS_ERR_PROTOCOL:
            code = .protocolError
        case REDIS_ERR_IO
        where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK
            || text.lowercasedContains("temporarily unavailable"):
            // SO_RCVTIMEO expired: hiredis reports it as an I/O error with EAGAIN.
            code = .timeout
        default:
            code = .connectionLost
        }
        self.close()
        let detail = text.isEmpty ? "connection error" : text
        return RedisError(code: code, message: "\(command.name): \(detail)")
    }

    /// Calls `body` with hiredis-style `argc`, `argv` and `argvlen` for `arguments` (binary-safe:
    /// lengths are explicit, bytes may contain NUL).
    private static func withArgv<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        let lengths = arguments.map(\.count)
        let total = lengths.reduce(0, +)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer { storage.deallocate() }
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(arguments.count)
        var offset = 0
        for argument in arguments {
            let start = storage + offset
            argument.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress, bytes.count > 0 {
                    start.copyMemory(from: base, byteCount: bytes.count)
                }
            }
            pointers.append(UnsafePointer(start.assumingMemoryBound(to: CChar.self)))
            offset += argument.count
        }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { lens in
                body(Int32(arguments.count), argv.baseAddress!, lens.baseAddress!)
            }
        }
    }

    /// Copies a hiredis reply tree into a ``RedisValue``.
    static func value(from reply: UnsafePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulkString(Self.bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element, r.elements > 0 else { return .array([]) }
            return .array(
                (0..<r.elements).map { index in
                    elements[index].map { Self.value(from: $0) } ?? .null
                }
            )
        default:
            return .error("unsupported reply type \(r.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// Parses raw RESP bytes with hiredis's reader: the replies they hold, in order (for tests of the
    /// reply mapping without a server).
    /// - Throws: ``RedisError`` with ``RedisError/Code/protocolError`` when the bytes are not RESP.
    static func parse(resp: [UInt8]) throws(RedisError) -> [RedisValue] {
        guard let reader = redisReaderCreate() else {
            throw RedisError(code: .protocolError, message: "cannot allocate a hiredis reader")
        }
        defer { redisReaderFree(reader) }
        let fed = resp.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { redisReaderFeed(reader, $0.baseAddress, $0.count) }
        }
        guard fed == REDIS_OK else {
            throw RedisError(code: .protocolError, message: String(cString: chr_reader_errstr(reader)))
        }
        var values: [RedisValue] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                throw RedisError(code: .protocolError, message: String(cString: chr_reader_errstr(reader)))
            }
            guard let raw else { return values }
            values.append(Self.value(from: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }
}

extension timeval {
    /// A `timeval` for a (non-negative) duration.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(max(seconds, 0)), tv_usec: Int(max(attoseconds, 0) / 1_000_000_000_000))
    }
}

extension String {
    fileprivate func lowercasedContains(_ other: String) -> Bool {
        self.lowercased().contains(other)
    }
}
