public import NIOCore
public import SwiftProtobuf

/// One method of a ``KRPCService``: a name and a handler.
///
/// Handlers run in their own task, pinned to the connection's event loop: code that does not
/// suspend runs without a thread hop, and a handler that suspends (awaits I/O, sleeps, hangs)
/// holds no thread and stalls nothing else. A handler must not block its thread (no blocking
/// system calls, no semaphores): hand such work to a thread pool and await it.
///
/// A handler declared non-suspending (``unaryNonSuspending(_:request:handler:)``) runs on the event
/// loop as the request is read, without a task: cheaper still, for quick answers computed from the
/// request alone.
public struct KRPCMethod: Sendable {
    /// The method name, e.g. `Login`.
    public var name: String
    let invoke: @Sendable (ByteBuffer, KRPCServerContext) async -> Result<[UInt8], KRPCError>
    /// For a method declared non-suspending: the handler, called on the event loop without a task.
    let invokeNow: (@Sendable (ByteBuffer, KRPCServerContext) -> Result<[UInt8], KRPCError>)?

    init(name: String, invoke: @escaping @Sendable (ByteBuffer, KRPCServerContext) async -> Result<[UInt8], KRPCError>) {
        self.name = name
        self.invoke = invoke
        self.invokeNow = nil
    }

    init(name: String, invokeNow: @escaping @Sendable (ByteBuffer, KRPCServerContext) -> Result<[UInt8], KRPCError>) {
        self.name = name
        self.invoke = { payload, context in invokeNow(payload, context) }
        self.invokeNow = invokeNow
    }

    /// A method over raw bytes: the handler gets the request payload and returns the response payload.
    ///
    /// A ``KRPCError`` thrown by the handler reaches the caller as it is; any other error becomes
    /// ``KRPCError/Code/internal`` with the error's description.
    public static func raw(
        _ name: String,
        handler: @escaping @Sendable (ByteBuffer, KRPCServerContext) async throws -> [UInt8]
    ) -> KRPCMethod {
        KRPCMethod(name: name) { payload, context in
            do {
                return .success(try await handler(payload, context))
            } catch {
                return .failure(KRPCError(handlerError: error, context: context))
            }
        }
    }

    /// A unary protobuf method: the payload is decoded as `Request`, the handler's `Response` is encoded.
    ///
    /// A payload that does not parse as `Request` is answered with
    /// ``KRPCError/Code/invalidRequest`` without calling the handler. A ``KRPCError`` thrown by the
    /// handler reaches the caller as it is; any other error becomes ``KRPCError/Code/internal``.
    public static func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ name: String,
        request: Request.Type = Request.self,
        handler: @escaping @Sendable (Request, KRPCServerContext) async throws -> Response
    ) -> KRPCMethod {
        KRPCMethod(name: name) { payload, context in
            let request: Request
            switch Self.decode(Request.self, from: payload) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            let response: Response
            do {
                response = try await handler(request, context)
            } catch {
                return .failure(KRPCError(handlerError: error, context: context))
            }
            return Self.encode(response)
        }
    }

    /// A unary protobuf method whose handler does not suspend: it runs on the connection's event
    /// loop as the request is read, without a task of its own (no task to create, schedule and
    /// free: the cheapest way to answer). Use it for quick answers computed from the request alone;
    /// the handler must not block, and it is not cancelled (it returns before a CANCEL or a deadline
    /// could be read). Decoding, encoding and errors are as in ``unary(_:request:handler:)``.
    public static func unaryNonSuspending<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ name: String,
        request: Request.Type = Request.self,
        handler: @escaping @Sendable (Request, KRPCServerContext) throws -> Response
    ) -> KRPCMethod {
        KRPCMethod(name: name) { (payload: ByteBuffer, context: KRPCServerContext) -> Result<[UInt8], KRPCError> in
            let request: Request
            switch Self.decode(Request.self, from: payload) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            let response: Response
            do {
                response = try handler(request, context)
            } catch {
                return .failure(KRPCError(handlerError: error, context: context))
            }
            return Self.encode(response)
        }
    }

    private static func decode<Request: SwiftProtobuf.Message>(
        _ type: Request.Type,
        from payload: ByteBuffer
    ) -> Result<Request, KRPCError> {
        do {
            return .success(try Request(serializedBytes: payload.readableBytesSpan))
        } catch {
            return .failure(
                KRPCError(
                    code: .invalidRequest,
                    message: "payload of \(payload.readableBytes) bytes does not parse as \(Request.protoMessageName)",
                    cause: error
                )
            )
        }
    }

    private static func encode<Response: SwiftProtobuf.Message>(_ response: Response) -> Result<[UInt8], KRPCError> {
        do {
            return .success(try response.serializedBytes())
        } catch {
            return .failure(KRPCError(code: .internal, message: "cannot encode \(Response.protoMessageName)", cause: error))
        }
    }
}

extension KRPCError {
    /// Maps what a handler threw to the error the caller gets.
    init(handlerError error: any Error, context: KRPCServerContext) {
        if let error = error as? KRPCError {
            self = error
        } else if error is CancellationError {
            self = KRPCError(code: .cancelled, message: "\(context.service).\(context.method) was cancelled")
        } else {
            self = KRPCError(code: .internal, message: "\(context.service).\(context.method) failed: \(error)", cause: error)
        }
    }
}
