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

    @Test("fleet unknown (Redis down): null per node; per service fleet sums, null when unknown")
    func unknownAndServices() throws {
        var node = Fixtures.healthy
        node.fleet = .unknown
        var snapshot = Fixtures.snapshot(nodes: [node])
        snapshot.services = RendererFleetViewsTests.servicesSnapshot.services
        snapshot.services[0].fleet = .unknown
        let json = try TopReportTests.object(snapshot)
        let nodes = try #require(json["nodes"] as? [[String: Any]])
        #expect(nodes[0]["fleet"] is NSNull)
        let services = try #require(json["services"] as? [[String: Any]])
        #expect(services[0]["fleet"] is NSNull)  // Echo.Echo, unknown
        let login = try #require(services[2]["fleet"] as? [String: Any])
        #expect(login["views"] as? Int == 6 && login["healthy"] as? Int == 5)
        #expect(login["half_open"] as? Int == 0 && login["broken"] as? Int == 1)
    }

    @Test("fleet_publish: the publisher's CPU time next to the process's, and the share; null when not publishing")
    func publishCost() throws {
        var snapshot = Fixtures.snapshot()
        #expect(try TopReportTests.object(snapshot)["fleet_publish"] is NSNull)
        snapshot.fleetPublish = FleetPublishCost(cpuMilliseconds: 1.5, processCPUMilliseconds: 600, publishes: 5)
        let cost = try #require(try TopReportTests.object(snapshot)["fleet_publish"] as? [String: Any])
        #expect(cost["cpu_ms"] as? Double == 1.5 && cost["process_cpu_ms"] as? Double == 600)
        #expect(cost["publishes"] as? Int == 5 && cost["percent"] as? Double == 0.25)
        snapshot.fleetPublish = FleetPublishCost(cpuMilliseconds: 0, processCPUMilliseconds: 0, publishes: 0)
        let empty = try #require(try TopReportTests.object(snapshot)["fleet_publish"] as? [String: Any])
        #expect(empty["percent"] is NSNull)
    }
}
