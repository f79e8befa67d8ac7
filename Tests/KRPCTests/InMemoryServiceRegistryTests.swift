import KRPCPolicy
import Testing

@testable import KRPC

@Suite("InMemoryServiceRegistry")
struct InMemoryServiceRegistryTests {
    let key = ServiceKey(service: "UserServiceRpc", method: "Login")

    @Test("discover: the current list first, then each change; a lagging consumer gets the newest list")
    func discoveryKeepsNewest() async throws {
        let registry = InMemoryServiceRegistry()
        try await registry.register(ServiceInstance(address: NodeAddress(host: "127.0.0.1", port: 1)), under: [self.key])
        var lists = registry.discover(self.key).makeAsyncIterator()
        #expect(await lists.next()?.map(\.address.port) == [1])
        for port in 2...5 {  // nobody reads meanwhile
            try await registry.register(ServiceInstance(address: NodeAddress(host: "127.0.0.1", port: port)), under: [self.key])
        }
        #expect(await lists.next()?.map(\.address.port) == [1, 2, 3, 4, 5])
    }

    @Test("stateUpdates: the current state first, then every change in order; a dropped stream does not disturb the others")
    func stateUpdatesInOrder() async throws {
        let registry = InMemoryServiceRegistry()
        var states = registry.stateUpdates().makeAsyncIterator()
        registry.setState(.disconnected)
        registry.setState(.connected)
        #expect(await states.next() == .connected)
        #expect(await states.next() == .disconnected)
        #expect(await states.next() == .connected)
        _ = registry.stateUpdates()  // dropped at once
        registry.setState(.expired)
        #expect(await states.next() == .expired)
    }
}
