import KRPCPolicy
@testable import KRPCTopCore
import Testing

/// The fleet beyond the node table: the node detail's client list, the services view's FLEET column, and `-`
/// while the fleet cannot be read.
@Suite("Renderer: the fleet in the node detail and the services view")
struct RendererFleetViewsTests {
    /// 127.0.0.1:9000 as three clients see it: this one (broken), b and c (healthy, c's view older).
    static var fleet: FleetFigures {
        FleetFigures(entries: [
            FleetFigures.Entry(
                client: "a:4711:krpc-top", state: .broken, reason: "5 consecutive failures: unavailable 'refused'",
                isSelf: true, errorPercent: 95, p99Microseconds: 2400, timeInState: .milliseconds(4200)),
            FleetFigures.Entry(
                client: "b:815:client-b", state: .healthy, errorPercent: 0, p99Microseconds: 900,
                timeInState: .seconds(192), viewAge: .milliseconds(400)),
            FleetFigures.Entry(
                client: "host-c:42:scenario", state: .healthy, errorPercent: 1.5, p99Microseconds: nil,
                timeInState: .seconds(30), viewAge: .milliseconds(1300)),
        ])
    }

    static func detailView(fleet: FleetFigures?, width: Int, height: Int) -> ViewState {
        var snapshot = Fixtures.snapshot()
        var broken = Fixtures.broken
        broken.fleet = fleet
        snapshot.nodes = [Fixtures.healthy, broken, Fixtures.halfOpen]
        snapshot.detail = NodeDetail(address: Fixtures.a9000)
        var view = ViewState(size: ScreenSize(width: width, height: height))
        view.feed(.snapshot(snapshot))
        view.feed(.key(.down))
        view.feed(.key(.enter))
        return view
    }

    @Test("entry: host and name/pid from the client id")
    func entryParts() {
        let entry = Self.fleet.entries[2]
        #expect(entry.host == "host-c" && entry.nameAndPid == "scenario/42")
        #expect(FleetFigures.Entry(client: "odd", state: .healthy).nameAndPid == "")
        #expect(FleetFigures.Entry(client: "h:only", state: .healthy).nameAndPid == "only")
    }

    @Test("node detail at 80x24: a summary, then one line per client (this one marked), its reason below")
    func detail80x24() throws {
        let b = Renderer.render(Self.detailView(fleet: Self.fleet, width: 80, height: 24))
        let first = try #require(b.row(containing: "Fleet"), "\(b.lines)")
        #expect(Array(b.lines[first...(first + 4)]) == [
            " Fleet     2/3 clients see it healthy · 1 broken · broken here only",
            "           ✖ BROKEN  a      krpc-top/4711 err 95% p99 2.4ms for 4.2s this client",
            "             5 consecutive failures: unavailable 'refused'",
            "           ● HEALTHY b      client-b/815  err 0.0% p99 900µs for 3m12s age 0.4s",
            "           ● HEALTHY host-c scenario/42   err 1.5% p99 - for 30s age 1.3s",
        ], "\(b.lines)")
        #expect(b.style(of: "2/3", row: first) == .broken)
        #expect(b.style(of: "broken here only", row: first) == .broken)
        #expect(b.style(of: "✖ BROKEN", row: first + 1) == .broken)
        #expect(b.style(of: "this client", row: first + 1) == .title)
        #expect(b.style(of: "5 consecutive", row: first + 2) == .reason)
        #expect(b.style(of: "● HEALTHY", row: first + 3) == .healthy)
    }

    @Test("node detail at 40x12 and 20x5: the client lines are cut at the width, reached by scrolling")
    func detailSmall() {
        var view = Self.detailView(fleet: Self.fleet, width: 40, height: 12)
        var lines = Renderer.render(view).lines
        for _ in 0..<10 where !lines.contains(where: { $0.hasPrefix("           ✖ BROKEN") }) {
            view.feed(.key(.down))
            lines = Renderer.render(view).lines
        }
        #expect(lines.contains("           ✖ BROKEN  a      krpc-top/47…"), "\(lines)")
        #expect(lines.allSatisfy { DisplayWidth.of($0) <= 40 })
        let tiny = Renderer.render(Self.detailView(fleet: Self.fleet, width: 20, height: 5))
        #expect(tiny.lines.allSatisfy { DisplayWidth.of($0) <= 20 })
        #expect(tiny.lines.count == 5)
    }

    @Test("node detail: the fleet unread (Redis down) says so; no fleet (no Redis): no Fleet line")
    func detailUnknown() {
        let unknown = Renderer.render(Self.detailView(fleet: .unknown, width: 80, height: 24))
        #expect(unknown.lines.contains(" Fleet     not read: Redis does not answer"), "\(unknown.lines)")
        let none = Renderer.render(Self.detailView(fleet: nil, width: 80, height: 24))
        #expect(none.row(containing: "Fleet") == nil)
    }

    @Test("node table: FLEET shows '-' while the fleet cannot be read, and fills again after")
    func tableUnknown() {
        var healthy = Fixtures.healthy
        healthy.fleet = .unknown
        var broken = Fixtures.broken
        broken.fleet = .unknown
        let down = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [healthy, broken]), width: 80, height: 24))
        let column = down.column(of: "FLEET", row: 2)
        #expect(column != nil, "\(down.lines)")
        #expect(down.lines[3].contains("HEALTHY   -      12m"), "\(down.lines)")
        #expect(down.style(of: "-", row: 3) == .dim)
        #expect(down.row(containing: "broken here only") == nil)
        // Redis is back: the next read fills the column again.
        broken.fleet = RendererFleetTests.fleet(.broken, .healthy)
        healthy.fleet = RendererFleetTests.fleet(.healthy, .healthy)
        let up = Renderer.render(Fixtures.view(Fixtures.snapshot(nodes: [healthy, broken]), width: 80, height: 24))
        #expect(up.column(of: "FLEET", row: 2) == column)
        #expect(up.lines[3].contains("2/2 ●") && up.lines[4].contains("1/2 ✖"), "\(up.lines)")
    }

    static var servicesSnapshot: DashboardSnapshot {
        var s = RendererViewsTests.servicesSnapshot()
        for i in s.services.indices {
            switch s.services[i].name {
            case "UserServiceRpc.Login": s.services[i].fleet = FleetTally(healthy: 5, halfOpen: 0, broken: 1)
            case "Echo.Echo": s.services[i].fleet = FleetTally(healthy: 3, halfOpen: 1)
            default: s.services[i].fleet = FleetTally()
            }
        }
        return s
    }

    @Test("tally: counts, worst, cell")
    func tally() {
        var t = FleetTally()
        #expect(t.cell(ascii: false) == "-" && t.worst == nil)
        t.add(.healthy)
        t.add(.healthy)
        #expect(t.cell(ascii: false) == "2/2 ●")
        t.add(.halfOpen)
        #expect(t.cell(ascii: false) == "2/3 ◐" && t.worst == .halfOpen)
        t.add(.broken)
        #expect(t.cell(ascii: true) == "2/4 x" && t.views == 4)
        #expect(FleetTally.unknown.cell(ascii: false) == "-")
    }

    @Test("services view at 80x24: FLEET after HEALTHY, (client, node) views healthy/all, coloured by the worst")
    func services80() throws {
        let b = Renderer.render(RendererViewsTests.servicesView(Self.servicesSnapshot, width: 80, height: 24))
        let header = try #require(b.row(containing: "METHOD"))
        #expect(b.lines[header] == " METHOD               NODES HEALTHY   FLEET CALLS/S  ERR%   REDIS ERRORS",
                "\(b.lines)")
        #expect(b.lines[header + 1].hasSuffix("3       -   3/4 ◐       0     -     900      0"), "\(b.lines)")
        #expect(b.lines[header + 2].contains("      -       -"), "\(b.lines)")
        #expect(b.lines[header + 3].contains("2   5/6 ✖"), "\(b.lines)")
        #expect(b.style(of: "3/4 ◐", row: header + 1) == .halfOpen)
        #expect(b.style(of: "5/6 ✖", row: header + 3) == .broken)
        #expect(b.lines.allSatisfy { DisplayWidth.of($0) <= 80 })
    }

    @Test("services view at 40x12: FLEET keeps its place before CALLS/S; unknown reads '-'; none without fleet")
    func servicesSmall() throws {
        let b = Renderer.render(RendererViewsTests.servicesView(Self.servicesSnapshot, width: 40, height: 12))
        let header = try #require(b.row(containing: "METHOD"), "\(b.lines)")
        #expect(b.lines[header].contains("FLEET"), "\(b.lines)")
        var unknown = Self.servicesSnapshot
        for i in unknown.services.indices { unknown.services[i].fleet = .unknown }
        let down = Renderer.render(RendererViewsTests.servicesView(unknown, width: 80, height: 24))
        let row = try #require(down.row(containing: "UserServiceRpc.Login"))
        #expect(down.row(containing: "FLEET") != nil && !down.lines[row].contains("5/6"), "\(down.lines)")
        let plain = Renderer.render(RendererViewsTests.servicesView(RendererViewsTests.servicesSnapshot(),
                                                                    width: 80, height: 24))
        #expect(plain.row(containing: "FLEET") == nil)
    }
}
