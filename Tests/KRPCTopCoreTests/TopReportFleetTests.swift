import Foundation
import Testing
@testable import KRPCTopCore

@Suite("JSON report: each node's fleet object")
struct TopReportFleetTests {
    @Test("fleet: counts, broken_here_only, each client's view (this one first, self true); null when unknown")
    func fleet() throws {
        let json = try TopReportTests.object(RendererFleetTests.snapshot)
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        let broken = try #require(nodes[1]["fleet"] as? [String: Any])
        #expect(broken["clients"] as? Int == 3)
        #expect(broken["healthy"] as? Int == 2)
        #expect(broken["half_open"] as? Int == 0)
        #expect(broken["broken"] as? Int == 1)
        #expect(broken["broken_here_only"] as? Bool == true)
        let views = try #require(broken["views"] as? [[String: Any]])
        #expect(views.map { $0["client"] as? String } == ["a:1:krpc-top", "b:0:client-b", "b:1:client-b"])
        #expect(views.map { $0["state"] as? String } == ["broken", "healthy", "healthy"])
        #expect(views.map { $0["self"] as? Bool } == [true, false, false])
        #expect(views[1]["reason"] is NSNull)
        let halfOpen = try #require(nodes[2]["fleet"] as? [String: Any])
        #expect(halfOpen["half_open"] as? Int == 1 && halfOpen["broken"] as? Int == 1)
        #expect(halfOpen["broken_here_only"] as? Bool == false)

        // Without fleet figures (no Redis): the key is there, null.
        let plain = try #require(try TopReportTests.object(Fixtures.snapshot())["nodes"] as? [[String: Any]])
        #expect(plain.allSatisfy { $0["fleet"] is NSNull })
    }
}
