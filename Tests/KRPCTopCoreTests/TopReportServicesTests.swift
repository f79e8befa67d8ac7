import Foundation
import Testing
@testable import KRPCTopCore

@Suite("JSON report: services")
struct TopReportServicesTests {
    @Test("services: every method with its node count, healthy (null when not called), Redis totals and rates")
    func services() throws {
        var snapshot = Fixtures.snapshot()
        snapshot.services = RendererViewsTests.services
        let json = try TopReportTests.object(snapshot)
        let services = try #require(json["services"] as? [[String: Any]])
        #expect(services.map { "\($0["service"] ?? "").\($0["method"] ?? "")" }
                == ["Echo.Echo", "Health.Check", "UserServiceRpc.Login"])
        let keys: Set = ["service", "method", "nodes", "healthy", "redis_calls", "redis_errors", "call_rate",
                         "error_percent", "fleet"]
        for service in services {
            #expect(Set(service.keys) == keys, "\(service)")
            #expect(service["nodes"] as? Int == 3)
        }
        #expect(services[0]["healthy"] is NSNull)
        #expect(services[1]["redis_calls"] is NSNull)
        #expect(services[2]["healthy"] as? Int == 2)
        #expect(services[2]["redis_calls"] as? Int == 12_345)
        #expect(services[2]["redis_errors"] as? Int == 67)
        #expect(services[2]["call_rate"] as? Double == 49.5)
        // The fleet is not read in this snapshot: null.
        #expect(services[2]["fleet"] is NSNull)
        // No registry read: an empty list, never a missing key.
        let empty = try TopReportTests.object(Fixtures.snapshot())
        #expect((empty["services"] as? [Any])?.isEmpty == true)
    }
}
