import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy in front of Redis that can lose a reply: after ``loseNextReply()`` the next bytes coming
/// back from Redis are discarded and the client's connection is closed. The request did reach Redis and
/// ran; the client cannot know. This is the case a retried flush must not count twice.
///
/// Blocking sockets on threads of its own (test code: a handful of connections at most).
final class LossyProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let upstreamHost: String
    private let upstreamPort: Int
    private let loseNext = Mutex(false)
    private let closed = Mutex(false)
    private let lostReplies = Mutex(0)

    /// Listens on a free port of 127.0.0.1 and forwards to `upstreamHost` (an IPv4 literal or `localhost`).
    init(upstreamHost: String, upstreamPort: Int) throws {
        self.upstreamHost = upstreamHost == "localhost" ? "127.0.0.1" : upstreamHost
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.address("127.0.0.1", port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "proxy: cannot listen"])
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.acceptLoop() }
        thread.start()
    }

    /// Makes the proxy drop the next reply from Redis and close that connection.
    func loseNextReply() { self.loseNext.withLock { $0 = true } }

    /// How many replies were lost so far.
    var lost: Int { self.lostReplies.withLock { $0 } }

    /// Stops accepting (open connections end when either side closes).
    func close() {
        self.closed.withLock { $0 = true }
        shutdown(self.listener, Int32(SHUT_RDWR))
        Glibc.close(self.listener)
    }

    private func acceptLoop() {
        while !self.closed.withLock({ $0 }) {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.address(self.upstreamHost, port: self.upstreamPort)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else {
                Glibc.close(client)
                Glibc.close(upstream)
                continue
            }
            let pair = SocketPair(client: client, upstream: upstream)
            Thread { self.pump(from: client, to: upstream, lossy: false, pair: pair) }.start()
            Thread { self.pump(from: upstream, to: client, lossy: true, pair: pair) }.start()
        }
    }

    /// Both sockets of one proxied connection; the pump that ends last closes them (so that no pump
    /// touches a descriptor number the other has already closed and the system may have reused).
    private final class SocketPair: Sendable {
        let client: Int32
        let upstream: Int32
        private let running = Mutex(2)

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }

        func pumpEnded() {
            // Wake the other pump; shutdown on a still-open descriptor is safe.
            shutdown(self.client, Int32(SHUT_RDWR))
            shutdown(self.upstream, Int32(SHUT_RDWR))
            let last = self.running.withLock { count in
                count -= 1
                return count == 0
            }
            if last {
                Glibc.close(self.client)
                Glibc.close(self.upstream)
            }
        }
    }

    private func pump(from source: Int32, to destination: Int32, lossy: Bool, pair: SocketPair) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            if lossy
                && self.loseNext.withLock({ lose in
                    defer { lose = false }; return lose
                })
            {
                self.lostReplies.withLock { $0 += 1 }
                break
            }
            var offset = 0
            while offset < n {
                let written = buffer[offset..<n].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                offset += written
            }
        }
        pair.pumpEnded()
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
