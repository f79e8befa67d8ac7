import KRPC
import KRPCPolicy
import KRPCTestSupport
import Testing

@testable import KRPCZooKeeper

/// Tests that stop and restart ZooKeeper: each starts a private server of its own.
@Suite("ZooKeeperRegistry through ZooKeeper outages", .enabled(if: TestEnvironment.isAvailable(.zooKeeper)))
struct ZooKeeperOutageTests {
    let key = ServiceKey(service: "UserServiceRpc", method: "Login")

    @Test("ZooKeeper stopped: the list is kept and the state is disconnected; started again: the list converges")
    func outageKeepsListAndConverges() async throws {
        try await withCleanup { cleanup in
            let zooKeeper = try await ZooKeeperProcess()
            cleanup.add { _ = try? await offPool { zooKeeper.stop() } }
            let root = uniqueRoot("outage")
            let stays = try ZooKeeperRegistry.forTest(zooKeeper.address, root: root, sessionTimeout: .seconds(6))
            let leaves = try ZooKeeperRegistry.forTest(zooKeeper.address, root: root, sessionTimeout: .seconds(2))
            let watcher = try ZooKeeperRegistry.forTest(zooKeeper.address, root: root, sessionTimeout: .seconds(6))
            cleanup.add { for registry in [stays, leaves, watcher] { await registry.close() } }

            try await stays.register(ServiceInstance(address: .local(8000)), under: [self.key])
            try await leaves.register(ServiceInstance(address: .local(9000)), under: [self.key])
            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([.local(8000), .local(9000)], timeout: .seconds(10), "both listed")
            let states = StateRecorder(watcher.stateUpdates())

            try await offPool { zooKeeper.stop() }
            try await waitUntil("the watcher to report disconnected", timeout: .seconds(20)) { watcher.state == .disconnected }
            #expect(membership.latestAddresses == [.local(8000), .local(9000)], "the last known list is kept")
            #expect(states.all.contains(.disconnected))

            // While ZooKeeper is down, one server goes away for good (it cannot tell ZooKeeper), ...
            await leaves.close()
            try await zooKeeper.start()
            // ... and after the restart another one joins.
            let joiner = try ZooKeeperRegistry.forTest(zooKeeper.address, root: root)
            cleanup.add { await joiner.close() }
            try await joiner.register(ServiceInstance(address: .local(10000)), under: [self.key])

            try await waitUntil("the watcher to reconnect", timeout: .seconds(20)) { watcher.state == .connected }
            try await membership.waitFor([.local(8000), .local(10000)], timeout: .seconds(30), "the truth after the restart")
            #expect(membership.all.allSatisfy { !$0.isEmpty }, "never emptied")
        }
    }

    @Test("a registry started while ZooKeeper is down reports connecting, and publishes once it is up")
    func startsBeforeZooKeeper() async throws {
        try await withCleanup { cleanup in
            let port = TCPProbe.freePort()
            let root = uniqueRoot("late")
            let server = try ZooKeeperRegistry.forTest(
                "127.0.0.1:\(port)", root: root, sessionTimeout: .seconds(4), operationTimeout: .milliseconds(500)
            )
            cleanup.add { await server.close() }
            #expect(server.state == .connecting)
            try await expectCode(.connectionLoss) {
                try await server.register(ServiceInstance(address: .local(8000)), under: [self.key])
            }

            let zooKeeper = try await ZooKeeperProcess(port: port)
            cleanup.add { _ = try? await offPool { zooKeeper.stop() } }
            let probe = try await connectedClient(zooKeeper.address)
            cleanup.add { await probe.close() }
            let leaf = try server.layout.leafPath(self.key, .local(8000))
            // The registration was remembered and is published once a session exists.
            try await waitUntil("the remembered registration to be published", timeout: .seconds(30)) {
                try await probe.exists(leaf) != nil
            }
            #expect(server.state == .connected)
        }
    }
}
