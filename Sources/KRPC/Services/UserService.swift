public import KRPCWire

extension UserServiceRpc {
    /// `Login(LoginRequest) returns (LoginResponse)`: the method name.
    public static let login = UserServiceRpc.Method.Login.descriptor.method
}

/// The server side of `UserServiceRpc` (generated: `UserServiceRpc.ServiceProtocol`): implement
/// `login(_:context:)` and register the value with a ``KRPCServer``.
public typealias UserServiceRpcProvider = UserServiceRpc.ServiceProtocol

/// Typed client of `UserServiceRpc` (generated: `UserServiceRpc.Client`) over any ``KRPCCaller``.
///
/// ```swift
/// let users = UserServiceClient(connection)
/// let response = try await users.login(name: "zhangsan", pwd: "123456")
/// ```
public typealias UserServiceClient<Caller: KRPCCaller> = UserServiceRpc.Client<Caller>

extension UserServiceRpc.Client {
    /// Calls `UserServiceRpc.Login` with a deadline (`nil`: the caller's default, 5 s for a connection).
    /// - Throws: ``KRPCError``.
    @inlinable
    public func login(_ request: LoginRequest, deadline: Duration?) async throws(KRPCError) -> LoginResponse {
        try await self.login(request, options: KRPCCallOptions(deadline: deadline))
    }

    /// Calls `UserServiceRpc.Login` with `name` and `pwd`.
    @inlinable
    public func login(name: String, pwd: String, deadline: Duration? = nil) async throws(KRPCError) -> LoginResponse {
        var request = LoginRequest()
        request.name = name
        request.pwd = pwd
        return try await self.login(request, options: KRPCCallOptions(deadline: deadline))
    }
}
