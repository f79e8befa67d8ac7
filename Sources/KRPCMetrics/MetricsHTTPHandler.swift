import NIOCore
import NIOHTTP1

/// Answers HTTP/1.1 requests on one connection: `GET` (or `HEAD`) `/metrics` with the Prometheus text format,
/// 404 for any other path, 405 for any other method on `/metrics`, 431 for a request head over the size limit,
/// 413 for a body over it (then closes), and closes the connection when it has been idle (no request read) for
/// the idle timeout (an `IdleStateHandler` before it raises the event).
///
/// Event-loop confined, like every `ChannelHandler`: one instance per connection, used on its loop only.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The path served.
    static let path = "/metrics"
    /// The Prometheus text format's content type (exposition format 0.0.4).
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private enum State {
        /// Between requests.
        case idle
        /// Reading a request's body (counting its bytes).
        case reading(HTTPRequestHead, bodyBytes: Int)
        /// A request was refused and the connection is closing: the rest is ignored.
        case closing
    }

    private var state = State.idle
    private let render: @Sendable () -> [UInt8]
    private let maximumRequestBytes: Int

    /// - Parameters:
    ///   - maximumRequestBytes: the largest request head (target and header fields) and body accepted.
    ///   - render: the body of a `/metrics` answer.
    init(maximumRequestBytes: Int, render: @escaping @Sendable () -> [UInt8]) {
        self.maximumRequestBytes = maximumRequestBytes
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (self.unwrapInboundIn(data), self.state) {
        case (_, .closing):
            return
        case (.head(let head), _):
            let headBytes =
                head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
            if headBytes > self.maximumRequestBytes {
                self.refuse(context: context, status: .requestHeaderFieldsTooLarge, version: head.version)
                return
            }
            self.state = .reading(head, bodyBytes: 0)
        case (.body(let body), .reading(let head, let bodyBytes)):
            let total = bodyBytes + body.readableBytes
            if total > self.maximumRequestBytes {
                self.refuse(context: context, status: .payloadTooLarge, version: head.version)
                return
            }
            self.state = .reading(head, bodyBytes: total)
        case (.end, .reading(let head, _)):
            self.state = .idle
            self.respond(context: context, to: head)
        case (.body, .idle), (.end, .idle):
            // The decoder never sends a body or an end without a head: nothing to answer.
            return
        }
    }

    /// A request that does not parse (NIO's error handler has answered 400) or a socket error: close.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.state = .closing
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? IdleStateHandler.IdleStateEvent, event == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == Self.path else {
            self.send(
                context: context, status: .notFound, version: head.version, keepAlive: head.isKeepAlive,
                withBody: head.method != .HEAD)
            return
        }
        switch head.method {
        case .GET, .HEAD:
            let body = self.render()
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: Self.contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
                promise: nil)
            if head.method == .GET {
                context.write(
                    self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
                    promise: nil)
            }
            self.end(context: context, keepAlive: head.isKeepAlive)
        default:
            self.send(
                context: context, status: .methodNotAllowed, version: head.version, keepAlive: head.isKeepAlive,
                extraHeaders: [("Allow", "GET, HEAD")])
        }
    }

    /// Answers `status` and closes: what is left of the request is not read.
    private func refuse(context: ChannelHandlerContext, status: HTTPResponseStatus, version: HTTPVersion) {
        self.state = .closing
        self.send(context: context, status: status, version: version, keepAlive: false)
    }

    private func send(
        context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        version: HTTPVersion,
        keepAlive: Bool,
        withBody: Bool = true,
        extraHeaders: [(String, String)] = []
    ) {
        let text = "\(status.code) \(status.reasonPhrase)\n"
        var headers = HTTPHeaders(extraHeaders)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
            promise: nil)
        if withBody {  // a HEAD request's answer has the head only
            context.write(
                self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))),
                promise: nil)
        }
        self.end(context: context, keepAlive: keepAlive)
    }

    private func end(context: ChannelHandlerContext, keepAlive: Bool) {
        if keepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
