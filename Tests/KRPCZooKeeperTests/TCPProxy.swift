import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on 127.0.0.1 in front of a server, for simulating a crashed client: ``cut()`` drops every
/// connection and refuses new ones, so the client's session is left behind on the server exactly as when
/// its process dies (no close-session request ever arrives).
///
/// Blocking sockets on dedicated threads (never the Swift concurrency pool).
final class TCPProxy: Sendable {
    /// The port clients connect to.
    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex<(cut: Bool, sockets: Set<Int32>)>((false, []))

    init(upstream: String) throws {
        guard let colon = upstream.lastIndex(of: ":"), let upstreamPort = Int(upstream[upstream.index(after: colon)...])
        else { throw TCPProxyError(message: "upstream \(upstream) is not host:port") }
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw TCPProxyError(message: "cannot listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        Thread.detachNewThread { [self] in self.acceptLoop() }
    }

    /// `127.0.0.1:port` of the relay.
    var address: String { "127.0.0.1:\(self.port)" }

    /// Drops every relayed connection and stops accepting.
    func cut() {
        let sockets = self.state.withLock { state -> Set<Int32> in
            state.cut = true
            defer { state.sockets = [] }
            return state.sockets
        }
        shutdown(self.listener, Int32(SHUT_RDWR))  // wakes the blocked accept()
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit {
        self.cut()
        close(self.listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: self.upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let accepted = self.state.withLock { state -> Bool in
                guard !state.cut, connected == 0 else { return false }
                state.sockets.formUnion([client, upstream])
                return true
            }
            guard accepted else {
                close(client)
                close(upstream)
                continue
            }
            Thread.detachNewThread { Self.pump(from: client, to: upstream) }
            Thread.detachNewThread { Self.pump(from: upstream, to: client) }
        }
    }

    /// Copies bytes until either side ends, then shuts both down. The reading side closes its own socket.
    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        loop: while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer[sent..<n].withUnsafeBytes { write(destination, $0.baseAddress, n - sent) }
                if m <= 0 { break loop }
                sent += m
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(destination, Int32(SHUT_RDWR))
        close(source)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

struct TCPProxyError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
