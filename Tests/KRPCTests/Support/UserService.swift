import KRPC
import KRPCWire
import Logging

/// A `UserServiceRpc` for tests: logs the call as the seed does and accepts every login (the server's
/// own is `KRPCServices.DemoUserService`).
///
/// Logs `doing local service: Login` at info, then `name: <name> pwd: <pwd>` at trace (the demo
/// level); below trace the password is redacted.
struct UserService: UserServiceRpcProvider {
    /// Creates the demo service.
    init() {}

    func login(_ request: LoginRequest, context: KRPCServerContext) async throws -> LoginResponse {
        let logger = context.logger
        logger.info("doing local service: Login")
        if logger.logLevel <= .trace {
            logger.trace("name: \(request.name) pwd: \(request.pwd)")
        } else {
            logger.debug("name: \(request.name) pwd: <redacted>")
        }
        var response = LoginResponse()
        response.success = true
        response.errcode = 0
        response.errmsg = ""
        return response
    }
}
