import KRPC
import KRPCServices
import KRPCTestSupport
import KRPCWire
import Logging
import Testing

@Suite("Demo Login logs per call at debug; the seed's lines at the demo level")
struct DemoUserServiceTests {
    func login(at level: Logger.Level, name: String = "zhangsan") async throws -> LogCapture {
        let capture = LogCapture()
        let context = KRPCServerContext(
            service: UserServiceRpc.name,
            method: UserServiceRpc.login,
            logger: capture.logger(level: level)
        )
        var request = LoginRequest()
        request.name = name
        request.pwd = "123456"
        let response = try await DemoUserService().login(request, context: context)
        #expect(response.success)
        return capture
    }

    @Test("at info (the default) a Login writes no line")
    func quietByDefault() async throws {
        #expect(try await self.login(at: .info).all.isEmpty)
    }

    @Test("at debug the two lines appear, the password masked")
    func debugMasks() async throws {
        let capture = try await self.login(at: .debug)
        #expect(capture.all.map(\.message) == ["doing local service: Login", "name: zhangsan pwd: ******"])
        #expect(capture.all.allSatisfy { $0.level == .debug })
    }

    @Test("at the demo level (trace) the seed's lines, password in clear")
    func demoShowsPassword() async throws {
        let capture = try await self.login(at: .trace)
        #expect(capture.all.map(\.message) == ["doing local service: Login", "name: zhangsan pwd: 123456"])
    }

    @Test("a 10 KB name is cut")
    func longName() async throws {
        let capture = try await self.login(at: .debug, name: String(repeating: "n", count: 10_240))
        let line = try #require(capture.all.last?.message)
        #expect(line.count < 400)
        #expect(line.contains("…(+"))
    }
}
