package import KRPC
package import KRPCWire
import Logging

/// The demo `UserServiceRpc.Login`: logs each call as the seed's server does and accepts every login.
///
/// ```
/// doing local service: Login
/// name: zhangsan pwd: ******
/// ```
///
/// Both lines are at info. The password is written in clear only when the server logs at the demo
/// level (`--log-level demo`, which is swift-log's `trace`); at every other level it is masked, with a
/// fixed-width mask that does not give away its length.
package struct DemoUserService: UserServiceRpcProvider {
    /// What replaces the password below the demo level.
    package static let mask = "******"

    /// Creates the service.
    package init() {}

    package func login(_ request: LoginRequest, context: KRPCServerContext) async throws -> LoginResponse {
        let logger = context.logger
        logger.info("doing local service: Login")
        let password = logger.logLevel <= .trace ? request.pwd : Self.mask
        logger.info("name: \(request.name) pwd: \(password)")
        var response = LoginResponse()
        response.success = true
        response.errcode = 0
        response.errmsg = ""
        return response
    }
}
