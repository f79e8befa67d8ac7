@testable import KRPCTopCore
import Testing

/// `p` and `h`: partition and heal the selected node from this client's host, in the demo's hosts mode only.
@Suite("reducer: partition and heal keys")
struct ReducerNetworkFaultTests {
    static func hostsView() -> ViewState {
        var view = ViewState(
            configuration: ViewConfiguration(partitionHost: "a"), size: ScreenSize(width: 80, height: 24))
        view.feed(.snapshot(Fixtures.snapshot()))
        return view
    }

    @Test("hosts mode: p partitions the selected node, h heals it; the status line says so until the outcome")
    func hostsMode() {
        var view = Self.hostsView()
        _ = ReducerTests.press(&view, .down)
        #expect(ReducerTests.press(&view, .character("p")) == [.partition(node: Fixtures.a9000)])
        #expect(view.statusMessage?.text == "partitioning 127.0.0.1:9000 from host a…")
        #expect(ReducerTests.press(&view, .character("h")) == [.heal(node: Fixtures.a9000)])
        #expect(view.statusMessage?.text == "healing 127.0.0.1:9000 for host a…")
        // The outcome comes back as a message from the wiring layer.
        view.feed(.message(.info, "healed node n9000 (127.0.0.1:9000) for client host(s): a"))
        #expect(view.statusMessage?.text == "healed node n9000 (127.0.0.1:9000) for client host(s): a")
        // On the detail screen: the node it is about.
        _ = ReducerTests.press(&view, .enter)
        #expect(ReducerTests.press(&view, .character("p")) == [.partition(node: Fixtures.a9000)])
    }

    @Test("hosts mode, nothing to partition: the services view and an empty table refuse with a reason")
    func noTarget() {
        var services = ViewState(
            configuration: ViewConfiguration(partitionHost: "a"), size: ScreenSize(width: 80, height: 24),
            screen: .services)
        services.feed(.snapshot(RendererViewsTests.servicesSnapshot()))
        #expect(ReducerTests.press(&services, .character("p")).isEmpty)
        #expect(services.statusMessage?.text == "no node selected: Enter opens the selected method's nodes")
    }

    @Test("outside hosts mode the keys say they need it, and do nothing")
    func outsideHostsMode() {
        var view = Fixtures.view(width: 80, height: 24)
        #expect(ReducerTests.press(&view, .character("p"), .character("h")).isEmpty)
        #expect(view.statusMessage?.severity == .warning)
        #expect(view.statusMessage?.text
                == "p and h partition and heal a node in the demo's hosts mode (demo-cluster/run --hosts)")
    }

    @Test("the help lists both keys")
    func help() {
        var view = Self.hostsView()
        view.feed(.key(.character("?")))
        for _ in 0..<8 { view.feed(.key(.down)) }
        let text = Renderer.render(view).lines.joined(separator: "\n")
        #expect(text.contains("cut the selected node off from this host (hosts mode)"), "\(text)")
        #expect(text.contains("heal the selected node's partition (hosts mode)"), "\(text)")
    }
}

extension ReducerNetworkFaultTests {
    @Test("from the services view: filter a method, open it again, h heals its selected node before any snapshot")
    func fromServices() {
        var snapshot = RendererViewsTests.servicesSnapshot()
        let nodes = Fixtures.snapshot()
        snapshot.service = nodes.service
        snapshot.method = nodes.method
        snapshot.nodes = nodes.nodes
        var view = ViewState(
            configuration: ViewConfiguration(partitionHost: "a"), size: ScreenSize(width: 120, height: 40),
            screen: .services)
        view.feed(.snapshot(snapshot))
        var effects = ReducerTests.press(&view, .character("/"), .character("L"), .character("o"), .enter, .enter)
        #expect(effects == [.openMethod(service: "UserServiceRpc", method: "Login")])
        effects = ReducerTests.press(&view, .character("h"))
        #expect(effects == [.heal(node: Fixtures.a8000)], "\(String(describing: view.statusMessage))")
    }
}
