import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP/1.1 exchange over a real TCP socket, for tests of HTTP endpoints (`/metrics`): sends bytes as given
/// (well-formed or not) and reads until the server closes or the timeout passes.
///
/// The socket calls block, so they run on a thread of their own, never on Swift concurrency's few cooperative
/// threads (tests blocking those starved the very servers they waited for).
public enum HTTPProbe {
    /// What came back.
    public struct Response: Sendable {
        /// Everything read, as text.
        public var raw: String
        /// Whether the server closed the connection before the timeout.
        public var closed: Bool

        /// The status code of the first response (`HTTP/1.1 200 OK` → 200), or nil.
        public var status: Int? {
            guard let line = self.raw.split(separator: "\r\n", maxSplits: 1).first else { return nil }
            let parts = line.split(separator: " ")
            return parts.count >= 2 ? Int(parts[1]) : nil
        }

        /// The first response's header fields, names lowercased.
        public var headers: [String: String] {
            guard let end = self.raw.range(of: "\r\n\r\n") else { return [:] }
            var fields: [String: String] = [:]
            for line in self.raw[..<end.lowerBound].split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
            return fields
        }

        /// The first response's body (everything after its head when there is one response).
        public var body: String {
            guard let end = self.raw.range(of: "\r\n\r\n") else { return "" }
            return String(self.raw[end.upperBound...])
        }
    }

    /// `GET path` with `Connection: close`.
    public static func get(host: String = "127.0.0.1", port: Int, path: String, timeout: Duration = .seconds(10))
        async throws -> Response
    {
        try await self.exchange(
            host: host, port: port,
            request: Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n".utf8), timeout: timeout)
    }

    /// Connects to `host:port` (an IPv4 literal), sends `request`, and reads until the server closes the
    /// connection or `timeout` passes.
    /// - Throws: ``TestEnvironmentError`` when the connection cannot be made.
    public static func exchange(host: String = "127.0.0.1", port: Int, request: [UInt8], timeout: Duration)
        async throws -> Response
    {
        let connection = try await Connection(host: host, port: port)
        await connection.send(request)
        return await connection.read(until: { _ in false }, timeout: timeout)
    }

    /// Runs blocking `body` on a new thread and returns its result.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    /// A TCP connection kept open across steps of a test (each step on a thread of its own, with a timeout).
    public final class Connection: Sendable {
        private let fd: Int32

        /// Connects to `host:port` (an IPv4 literal).
        /// - Throws: ``TestEnvironmentError`` when the connection cannot be made.
        public convenience init(host: String = "127.0.0.1", port: Int) async throws {
            let fd = try await HTTPProbe.onThread { try Self.open(host: host, port: port) }
            self.init(fd: fd)
        }

        private init(fd: Int32) {
            self.fd = fd
        }

        private static func open(host: String, port: Int) throws -> Int32 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestEnvironmentError(message: "socket: errno \(errno)") }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
                close(fd)
                throw TestEnvironmentError(message: "\(host) is not an IPv4 address")
            }
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(fd)
                throw TestEnvironmentError(message: "connect \(host):\(port): errno \(errno)")
            }
            return fd
        }

        deinit { close(self.fd) }

        /// Sends `bytes` (stops early if the server has closed: what it said can still be read).
        public func send(_ bytes: [UInt8]) async {
            _ = try? await HTTPProbe.onThread { self.sendNow(bytes) }
        }

        private func sendNow(_ bytes: [UInt8]) {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes {
                    Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { break }
                sent += n
            }
        }

        /// Reads until `done` holds for what was read, the server closes the connection, or `timeout` passes.
        public func read(until done: @escaping @Sendable (String) -> Bool, timeout: Duration) async -> Response {
            (try? await HTTPProbe.onThread { self.readNow(until: done, timeout: timeout) })
                ?? Response(raw: "", closed: false)
        }

        private func readNow(until done: (String) -> Bool, timeout: Duration) -> Response {
            let deadline = ContinuousClock.now + timeout
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var closed = false
            while ContinuousClock.now < deadline && !done(String(decoding: received, as: UTF8.self)) {
                let left = deadline - ContinuousClock.now
                let ms = Int32(
                    clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
                var pfd = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, max(1, ms)) == 1 else { continue }
                let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 {
                    closed = true
                    break
                }
                received += buffer[0..<n]
            }
            return Response(raw: String(decoding: received, as: UTF8.self), closed: closed)
        }
    }
}
