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
/// Both lines are per call, so at debug: a busy server at the default level (info) writes none. At the
/// demo level (`--log-level demo`, which is swift-log's `trace`) they appear with the password in clear,
/// as the seed prints them; at debug with a fixed-width mask that does not give away its length. The
/// name and password come from the caller and are cut to a log-sized length (``LogText``).
package struct DemoUserService: UserServiceRpcProvider {
    /// What replaces the password below the demo level.
    package static let mask = "******"

    /// Creates the service.
    package init() {}

    package func login(_ request: LoginRequest, context: KRPCServerContext) async throws -> LoginResponse {
        let logger = context.logger
        if logger.logLevel <= .debug {
            logger.debug("doing local service: Login")
            let password = logger.logLevel <= .trace ? LogText.cut(request.pwd) : Self.mask
            logger.debug("name: \(LogText.cut(request.name)) pwd: \(password)")
        }
        var response = LoginResponse()
        response.success = true
        response.errcode = 0
        response.errmsg = ""
        return response
    }
}
