import Foundation
import KRPCTopCollect
import Testing

/// `--no-fleet-view` and `--client-host`: krpc-top's own fleet view.
@Suite struct TopSettingsFleetTests {
    private func settings(_ change: (inout TopOptions) -> Void = { _ in }) throws -> TopSettings {
        var o = TopOptions()
        o.zk = "127.0.0.1:2181"
        o.redis = "127.0.0.1:6379"
        change(&o)
        return try TopSettings(options: o)
    }

    @Test func publishesByDefaultUnderTheHostName() throws {
        let settings = try self.settings()
        #expect(settings.publishesFleetView)
        #expect(settings.clientHost == nil)
    }

    @Test func noFleetViewAndClientHost() throws {
        let settings = try self.settings {
            $0.noFleetView = true
            $0.clientHost = "a"
        }
        #expect(!settings.publishesFleetView)
        #expect(settings.clientHost == "a")
    }

    @Test("--client-host must fit in the key krpc:view:<host>:<pid>:<name>", arguments: ["", "a:b", "a b"])
    func badClientHost(host: String) {
        #expect(throws: TopError.self) { try self.settings { $0.clientHost = host } }
    }

    @Test("--demo-cluster: needs --client-host and an executable fault script in the folder")
    func demoCluster() throws {
        let directory = NSTemporaryDirectory() + "krpc-demo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: TopError.self) { try self.settings { $0.demoCluster = directory; $0.clientHost = "a" } }
        #expect(FileManager.default.createFile(
            atPath: directory + "/fault", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
        let settings = try self.settings { $0.demoCluster = directory; $0.clientHost = "a" }
        #expect(settings.demoCluster == directory && settings.clientHost == "a")
        #expect(throws: TopError.self) { try self.settings { $0.demoCluster = directory } }
        #expect(try self.settings().demoCluster == nil)
    }
}
