import KRPCTopCollect
import Testing

/// The command line's checks, in the library (the executable only maps its arguments).
@Suite struct TopSettingsTests {
    private func options(_ change: (inout TopOptions) -> Void = { _ in }) -> TopOptions {
        var o = TopOptions()
        o.zk = "127.0.0.1:2181"
        o.redis = "127.0.0.1:6379"
        change(&o)
        return o
    }

    private func message(_ change: (inout TopOptions) -> Void) -> String? {
        do {
            _ = try TopSettings(options: self.options(change))
            return nil
        } catch {
            return error.description
        }
    }

    @Test func defaultsAreAccepted() throws {
        let settings = try TopSettings(options: self.options())
        #expect(settings.window == .seconds(10))
        #expect(settings.duration == .seconds(5))
        #expect(settings.refreshInterval == .milliseconds(100))
    }

    @Test func theWindowIsChecked() throws {
        #expect(try TopSettings(options: self.options { $0.window = 2.5 }).window == .milliseconds(2500))
        #expect(self.message { $0.window = 0 }?.contains("--window") == true)
        #expect(self.message { $0.window = 4000 }?.contains("--window") == true)
        #expect(self.message { $0.window = .nan }?.contains("--window") == true)
    }

    @Test func errorsNameTheOption() {
        #expect(self.message { $0.zk = nil }?.contains("--zk") == true)
        #expect(self.message { $0.nodes = "127.0.0.1:1" }?.contains("exclude") == true)
        #expect(self.message { $0.redis = nil }?.contains("--no-redis") == true)
        #expect(self.message { $0.json = true }?.contains("--json goes with --once") == true)
        #expect(self.message { $0.rate = -1 }?.contains("--rate") == true)
        #expect(self.message { $0.balancer = "nope" }?.contains("--balancer") == true)
        #expect(self.message { $0.refreshMs = 1 }?.contains("--refresh-ms") == true)
        #expect(self.message { $0.logLevel = "loud" }?.contains("--log-level") == true)
    }
}
