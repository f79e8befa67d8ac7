public import KRPCWire

/// Names of the seed's example service (Protos/user.proto).
public enum UserServiceRpc {
    /// `UserServiceRpc`.
    public static let name = "UserServiceRpc"
    /// `Login(LoginRequest) returns (LoginResponse)`.
    public static let login = "Login"
}

/// The server side of `UserServiceRpc`: implement ``login(_:context:)`` and register the value
/// with a ``KRPCServer``.
public protocol UserServiceRpcProvider: KRPCService {
    /// Handles `UserServiceRpc.Login`.
    func login(_ request: LoginRequest, context: KRPCServerContext) async throws -> LoginResponse
}

extension UserServiceRpcProvider {
    public var serviceName: String { UserServiceRpc.name }

    public var methods: [KRPCMethod] {
        [.unary(UserServiceRpc.login) { (request: LoginRequest, context) in try await self.login(request, context: context) }]
    }
}

/// Typed client of `UserServiceRpc` over any ``KRPCCaller`` (a ``NodeConnection``, say).
///
/// ```swift
/// let users = UserServiceClient(connection)
/// let response = try await users.login(name: "zhangsan", pwd: "123456")
/// ```
public struct UserServiceClient<Caller: KRPCCaller>: Sendable {
    /// Where calls go.
    public let caller: Caller

    /// Creates a client.
    @inlinable
    public init(_ caller: Caller) {
        self.caller = caller
    }

    /// Calls `UserServiceRpc.Login`.
    /// - Parameter deadline: how long to wait; `nil` = the caller's default (5 s for a connection).
    /// - Throws: ``KRPCError``.
    @inlinable
    public func login(_ request: LoginRequest, deadline: Duration? = nil) async throws(KRPCError) -> LoginResponse {
        try await self.caller.call(
            service: UserServiceRpc.name,
            method: UserServiceRpc.login,
            request: request,
            responseType: LoginResponse.self,
            deadline: deadline
        )
    }

    /// Calls `UserServiceRpc.Login` with `name` and `pwd`.
    @inlinable
    public func login(name: String, pwd: String, deadline: Duration? = nil) async throws(KRPCError) -> LoginResponse {
        var request = LoginRequest()
        request.name = name
        request.pwd = pwd
        return try await self.login(request, deadline: deadline)
    }
}
