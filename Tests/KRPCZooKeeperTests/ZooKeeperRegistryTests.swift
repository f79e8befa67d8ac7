import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import Testing

@testable import KRPCZooKeeper

@Suite("ZooKeeperRegistry against a real ZooKeeper", .enabled(if: TestEnvironment.isAvailable(.zooKeeper)))
struct ZooKeeperRegistryTests {
    let key = ServiceKey(service: "UserServiceRpc", method: "Login")

    @Test("3 servers register → all 3 seen within 1 s; a deregistration → 2 within 1 s; a closed session → gone")
    func registerDeregisterAndSessionClose() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("three")
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            let servers = try (0..<3).map { _ in try ZooKeeperRegistry.forTest(address, root: root) }
            cleanup.add { for registry in servers + [watcher] { await registry.close() } }
            let addresses = (0..<3).map { NodeAddress.local(8000 + 1000 * $0) }

            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([], timeout: .seconds(15), "the empty method listed")
            #expect(watcher.state == .connected)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for (server, node) in zip(servers, addresses) {
                    group.addTask {
                        try await server.register(ServiceInstance(address: node, weight: 2), under: [self.key])
                    }
                }
                try await group.waitForAll()
            }
            try await membership.waitFor(Set(addresses), timeout: .seconds(1), "all three within 1 s")
            #expect(membership.latest?.allSatisfy { $0.weight == 2 && $0.pid != nil && $0.version != nil } == true)

            try await servers[0].deregister(addresses[0])
            try await membership.waitFor(
                Set(addresses[1...]), timeout: .seconds(1), "two within 1 s of a deregistration")

            // Dies without deregistering, its session closed: ZooKeeper drops the leaf at once.
            await servers[1].close()
            try await membership.waitFor([addresses[2]], timeout: .seconds(10), "gone once its session is closed")
        }
    }

    @Test("a server that crashes without deregistering is gone once its session times out")
    func crashedServerExpires() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("crash")
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            let relay = try TCPProxy(upstream: address)
            let crashing = try ZooKeeperRegistry.forTest(relay.address, root: root, sessionTimeout: .seconds(2))
            let surviving = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add { for registry in [watcher, surviving, crashing] { await registry.close() } }

            try await crashing.register(ServiceInstance(address: .local(8000)), under: [self.key])
            try await surviving.register(ServiceInstance(address: .local(9000)), under: [self.key])
            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([.local(8000), .local(9000)], timeout: .seconds(10), "both listed")

            await crash(crashing, relay)
            // The session outlives the process for up to its timeout; then ZooKeeper drops the leaf.
            try await membership.waitFor([.local(9000)], timeout: .seconds(20), "the crashed server dropped")
        }
    }

    @Test("a server restarted within the session timeout stays listed after its old session expires (seed bug)")
    func restartWithinSessionTimeout() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("restart")
            let node = NodeAddress.local(8000)
            let canaryKey = ServiceKey(service: "Canary", method: "Alive")
            let probe = try await connectedClient(address)
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add {
                await watcher.close()
                await probe.close()
            }
            let membership = SnapshotRecorder(watcher.discover(self.key))

            // The first run registers, plus a canary leaf that shows when its session has expired.
            let relay = try TCPProxy(upstream: address)
            let firstRun = try ZooKeeperRegistry.forTest(relay.address, root: root, sessionTimeout: .seconds(4))
            try await firstRun.register(ServiceInstance(address: node), under: [self.key, canaryKey])
            let oldSession = try #require(firstRun.sessionCredentials).id
            try await membership.waitFor([node], timeout: .seconds(10), "first run listed")

            // It crashes; its session (and leaf) live on.
            await crash(firstRun, relay)
            let leaf = try firstRun.layout.leafPath(self.key, node)
            let canary = try firstRun.layout.leafPath(canaryKey, node)
            #expect(try await probe.exists(leaf)?.ephemeralOwner == oldSession)

            // The second run starts within the session timeout and registers the same address.
            let secondRun = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add { await secondRun.close() }
            try await secondRun.register(ServiceInstance(address: node, weight: 5), under: [self.key])
            let newSession = try #require(secondRun.sessionCredentials).id
            #expect(newSession != oldSession)
            #expect(try await probe.exists(leaf)?.ephemeralOwner == newSession, "the old session's leaf was taken over")

            // The old session expires (its canary goes) ...
            try await waitUntil("the old session to expire", timeout: .seconds(30)) {
                try await probe.exists(canary) == nil
            }
            // ... and the restarted server is still there.
            #expect(try await probe.exists(leaf)?.ephemeralOwner == newSession)
            try await waitUntil("the watcher to list the second run (weight 5)", timeout: .seconds(10)) {
                membership.latest?.map(\.address) == [node] && membership.latest?.map(\.weight) == [5]
            }
        }
    }

    @Test("a forced session expiry → the server re-registers by itself within a few seconds")
    func forcedExpiryReRegisters() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("expiry")
            let node = NodeAddress.local(8000)
            let relay = try TCPProxy(upstream: address)
            let server = try ZooKeeperRegistry.forTest(relay.address, root: root, sessionTimeout: .seconds(4))
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            let probe = try await connectedClient(address)
            cleanup.add {
                await server.close()
                await watcher.close()
                await probe.close()
            }

            try await server.register(ServiceInstance(address: node), under: [self.key])
            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([node], timeout: .seconds(10), "registered")
            let states = StateRecorder(server.stateUpdates())
            let old = try #require(server.sessionCredentials)
            // The server watches the method too: after the expiry it must re-list and re-watch on its new session.
            let ownView = SnapshotRecorder(server.discover(self.key))
            try await ownView.waitFor([node], timeout: .seconds(10), "the server's own view")

            // A second handle on the same session, then closed: ZooKeeper ends the session. The server is cut
            // off meanwhile, so it cannot take the session back before the close arrives.
            relay.cut()
            let intruder = try await ZooKeeperClient(
                configuration: .init(connectionString: address, sessionTimeout: .seconds(4), session: old),
                logger: LogCapture().logger()
            )
            try await intruder.waitUntilConnected(timeout: .seconds(10))
            #expect(intruder.sessionCredentials?.id == old.id)
            await intruder.close()
            try await membership.waitFor([], timeout: .seconds(10), "the expired session's leaf removed")
            relay.restore()

            let leaf = try server.layout.leafPath(self.key, node)
            try await waitUntil(
                "the server to re-register on a new session (states: \(states.all))", timeout: .seconds(10)
            ) {
                guard let owner = try await probe.exists(leaf)?.ephemeralOwner else { return false }
                return owner != old.id && owner == server.sessionCredentials?.id
            }
            try await waitUntil("the state stream to report the expiry", timeout: .seconds(10)) {
                states.all.contains(.expired)
            }
            try await waitUntil("the server to report connected", timeout: .seconds(10)) { server.state == .connected }
            try await membership.waitFor([node], timeout: .seconds(10), "listed again")

            // Its discovery follows changes on the new session.
            let other = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add { await other.close() }
            try await other.register(ServiceInstance(address: .local(9000)), under: [self.key])
            try await ownView.waitFor([node, .local(9000)], timeout: .seconds(10), "a change seen after the expiry")
        }
    }

    @Test("200 leaves under one method are all listed; a burst of changes arrives as a few snapshots")
    func manyLeavesAndDebouncedBurst() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("burst")
            let writer = try await connectedClient(address)
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add {
                await watcher.close()
                await writer.close()
            }
            let methodPath = try watcher.layout.methodPath(self.key)
            try await createTree(writer, methodPath)

            func leaf(_ port: Int) -> (String, [UInt8]) {
                let instance = ServiceInstance(address: .local(port))
                return ("\(methodPath)/127.0.0.1:\(port)", LeafData.encode(instance, pid: 1, startedAt: 1))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for port in 10_000..<10_200 {
                    group.addTask {
                        let (path, data) = leaf(port)
                        _ = try await writer.create(path, data: data, mode: .ephemeral)
                    }
                }
                try await group.waitForAll()
            }

            let membership = SnapshotRecorder(watcher.discover(self.key))
            let first = Set((10_000..<10_200).map { NodeAddress.local($0) })
            try await membership.waitFor(first, timeout: .seconds(15), "all 200 listed")
            #expect(membership.all.count == 1, "the initial listing is one snapshot")
            let before = watcher.publishedSnapshotCount(for: self.key)

            // A burst: 100 servers leave and 100 others join, as fast as ZooKeeper takes it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for port in 10_000..<10_100 { group.addTask { try await writer.delete(leaf(port).0) } }
                for port in 20_000..<20_100 {
                    group.addTask {
                        let (path, data) = leaf(port)
                        _ = try await writer.create(path, data: data, mode: .ephemeral)
                    }
                }
                try await group.waitForAll()
            }
            let second = Set(
                (10_100..<10_200).map { NodeAddress.local($0) } + (20_000..<20_100).map { NodeAddress.local($0) })
            try await membership.waitFor(second, timeout: .seconds(15), "the burst's outcome")
            let burstSnapshots = watcher.publishedSnapshotCount(for: self.key) - before
            #expect(burstSnapshots >= 1 && burstSnapshots <= 5, "200 changes became \(burstSnapshots) snapshots")
        }
    }

    @Test("malformed leaves are skipped with one warning each, however often the method is re-listed")
    func malformedLeavesSkipped() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("bad")
            let logs = LogCapture()
            let writer = try await connectedClient(address)
            let watcher = try ZooKeeperRegistry.forTest(address, root: root, logs: logs)
            cleanup.add {
                await watcher.close()
                await deleteTree(writer, root)
                await writer.close()
            }
            let methodPath = try watcher.layout.methodPath(self.key)

            try await createTree(writer, "\(methodPath)/not-an-address", data: Array("{}".utf8))
            try await createTree(writer, "\(methodPath)/127.0.0.1:9001", data: Array("{broken".utf8))
            try await createTree(writer, "\(methodPath)/127.0.0.1:9002", data: Array(#"{"weight":-5}"#.utf8))
            try await createTree(writer, "\(methodPath)/127.0.0.1:9003", data: Array(#"{"weight":3}"#.utf8))

            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([.local(9003)], timeout: .seconds(10), "only the good leaf")
            #expect(membership.latest?.first?.weight == 3)

            // More changes: the method is re-listed several times, the bad leaves are still there.
            for port in 9004...9006 {
                try await createTree(writer, "\(methodPath)/127.0.0.1:\(port)")
                try await membership.waitFor(
                    Set((9003...port).map { NodeAddress.local($0) }), timeout: .seconds(10), "added \(port)")
            }
            let warnings = logs.entries(at: .warning).map(\.message)
            #expect(warnings.count == 3, "\(warnings)")
            for name in ["not-an-address", "127.0.0.1:9001", "127.0.0.1:9002"] {
                #expect(warnings.filter { $0.contains(name) }.count == 1, "one warning for \(name)")
            }
        }
    }

    @Test("bare host:port leaves written by the seed are accepted")
    func seedLeavesAccepted() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("seed")
            let seed = try await connectedClient(address)
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add {
                await watcher.close()
                await deleteTree(seed, root)
                await seed.close()
            }
            let methodPath = try watcher.layout.methodPath(self.key)
            try await createTree(
                seed, "\(methodPath)/127.0.0.1:8000", data: Array("127.0.0.1:8000".utf8), mode: .ephemeral)
            try await createTree(seed, "\(methodPath)/127.0.0.1:9000", mode: .ephemeral)

            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([.local(8000), .local(9000)], timeout: .seconds(10), "both seed leaves")
            #expect(
                membership.latest == [ServiceInstance(address: .local(8000)), ServiceInstance(address: .local(9000))])
        }
    }

    @Test("the leaf holds the documented JSON and the layout is <root>/<Service>/<Method>/<host:port>")
    func leafDataOnTheWire() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("json")
            let server = try ZooKeeperRegistry.forTest(address, root: root)
            let probe = try await connectedClient(address)
            cleanup.add {
                await server.close()
                await probe.close()
            }
            let instance = ServiceInstance(address: .local(8000), weight: 7, startedAt: 1_700_000_000, version: "9.9")
            try await server.register(
                instance, under: [self.key, ServiceKey(service: "UserServiceRpc", method: "Register")])

            #expect(Set(try await probe.children("\(root)/UserServiceRpc")) == ["Login", "Register"])
            let (data, stat) = try await probe.get("\(root)/UserServiceRpc/Login/127.0.0.1:8000")
            #expect(stat.ephemeralOwner == server.sessionCredentials?.id)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any])
            #expect(json["host"] as? String == "127.0.0.1")
            #expect(json["port"] as? Int == 8000)
            #expect(json["weight"] as? Int == 7)
            #expect(json["pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
            #expect(json["started_at"] as? Int == 1_700_000_000)
            #expect(json["version"] as? String == "9.9")
            #expect(try await probe.exists(root)?.isEphemeral == false, "parents are persistent")

            // Registering again with a new weight updates the data in place, and watchers see it.
            let membership = SnapshotRecorder(server.discover(self.key))
            try await waitUntil("weight 7 listed", timeout: .seconds(10)) { membership.latest?.map(\.weight) == [7] }
            try await server.register(ServiceInstance(address: .local(8000), weight: 1), under: [self.key])
            try await waitUntil("weight 1 listed", timeout: .seconds(10)) { membership.latest?.map(\.weight) == [1] }
            let updated = try JSONSerialization.jsonObject(
                with: Data(try await probe.get("\(root)/UserServiceRpc/Login/127.0.0.1:8000").data))
            #expect((updated as? [String: Any])?["weight"] as? Int == 1)
        }
    }

    @Test("cancelling the consumer's iteration unsubscribes; a later discover starts afresh")
    func cancellationCleansUp() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("cancel")
            let registry = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add { await registry.close() }
            try await registry.register(ServiceInstance(address: .local(8000)), under: [self.key])

            let consumer = Task {
                var count = 0
                for await _ in registry.discover(self.key) { count += 1 }
                return count
            }
            try await waitUntil("one subscriber", timeout: .seconds(10)) {
                registry.subscriberCount(for: self.key) == 1
            }
            consumer.cancel()
            _ = await consumer.value
            try await waitUntil("no subscriber left", timeout: .seconds(10)) {
                registry.subscriberCount(for: self.key) == 0
            }

            let again = SnapshotRecorder(registry.discover(self.key))
            try await again.waitFor([.local(8000)], timeout: .seconds(10), "a fresh discovery")
            try await registry.register(ServiceInstance(address: .local(9000)), under: [self.key])
            try await again.waitFor([.local(8000), .local(9000)], timeout: .seconds(10), "and it follows changes")
        }
    }

    @Test("close ends discovery and state streams and removes the leaves")
    func closeEndsStreams() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("close")
            let registry = try ZooKeeperRegistry.forTest(address, root: root)
            let probe = try await connectedClient(address)
            cleanup.add { await probe.close() }
            try await registry.register(ServiceInstance(address: .local(8000)), under: [self.key])
            let leaf = try registry.layout.leafPath(self.key, .local(8000))
            #expect(try await probe.exists(leaf) != nil)

            let snapshots = registry.discover(self.key)
            let stateUpdates = registry.stateUpdates()
            let discovery = Task {
                var n = 0
                for await _ in snapshots { n += 1 }
                return n
            }
            let states = Task {
                var seen: [RegistryState] = []
                for await s in stateUpdates { seen.append(s) }
                return seen
            }
            try await waitUntil("subscribed and listed", timeout: .seconds(10)) {
                registry.subscriberCount(for: self.key) == 1 && registry.publishedSnapshotCount(for: self.key) == 1
            }
            await registry.close()
            #expect(await discovery.value >= 1)
            let seen = await states.value
            #expect(seen.first == .connected && seen.last == .disconnected, "\(seen)")
            #expect(registry.state == .disconnected)
            #expect(try await probe.exists(leaf) == nil)
            try await expectCode(.closing) {
                try await registry.register(ServiceInstance(address: .local(1)), under: [self.key])
            }
        }
    }

    @Test("run() owns the session: nothing connects before it; cancelling it closes the session, ends every stream")
    func runOwnsTheSession() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("run")
            let registry = try ZooKeeperRegistry.forTest(address, root: root, running: false)
            let probe = try await connectedClient(address)
            cleanup.add {
                await registry.close()
                await probe.close()
            }
            let states = StateRecorder(registry.stateUpdates())
            let membership = SnapshotRecorder(registry.discover(self.key))  // asked before run(): served once it runs
            try await Task.sleep(for: .milliseconds(300))
            #expect(registry.state == .connecting)
            #expect(registry.sessionCredentials == nil)

            let running = Task { await registry.run() }
            try await registry.register(ServiceInstance(address: .local(8000)), under: [self.key])
            try await membership.waitFor([.local(8000)], timeout: .seconds(10), "discovery asked before run()")
            let leaf = try registry.layout.leafPath(self.key, .local(8000))
            #expect(try await probe.exists(leaf) != nil)

            running.cancel()
            await running.value
            #expect(try await probe.exists(leaf) == nil, "run() closes its session on the way out")
            #expect(registry.state == .disconnected)
            try await waitUntil("the state stream to end on disconnected", timeout: .seconds(10)) {
                states.all.last == .disconnected
            }
            #expect(states.all.first == .connecting && states.all.contains(.connected), "\(states.all)")

            // Streams asked for after the end are finished: the state ends on its last value.
            var late: [RegistryState] = []
            for await state in registry.stateUpdates() { late.append(state) }
            #expect(late == [.disconnected])
            var lists = 0
            for await _ in registry.discover(self.key) { lists += 1 }
            #expect(lists == 0)
            await registry.run()  // once only: returns at once
        }
    }

    @Test("with digest authentication, leaves are readable by anyone and deletable only by their owner")
    func digestAuthentication() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let root = uniqueRoot("auth")
            let credentials = ZooKeeperDigestAuthentication(user: "krpc", password: "s3cret")
            let server = try ZooKeeperRegistry.forTest(address, root: root, authentication: credentials)
            let anonymous = try await connectedClient(address)
            let watcher = try ZooKeeperRegistry.forTest(address, root: root)
            cleanup.add {
                await server.close()
                await watcher.close()
                await anonymous.close()
            }
            try await server.register(ServiceInstance(address: .local(8000)), under: [self.key])

            let membership = SnapshotRecorder(watcher.discover(self.key))
            try await membership.waitFor([.local(8000)], timeout: .seconds(10), "readable without credentials")
            let leaf = try server.layout.leafPath(self.key, .local(8000))
            try await expectCode(.noAuth) { try await anonymous.delete(leaf) }
            try await expectCode(.noAuth) { _ = try await anonymous.set(leaf, data: []) }
            let methodPath = try server.layout.methodPath(self.key)
            try await expectCode(.noAuth) { _ = try await anonymous.create("\(methodPath)/127.0.0.1:9999") }
            #expect(try await anonymous.exists(leaf) != nil)

            // Another server with the same credentials may register there.
            let colleague = try ZooKeeperRegistry.forTest(address, root: root, authentication: credentials)
            cleanup.add { await colleague.close() }
            try await colleague.register(ServiceInstance(address: .local(9000)), under: [self.key])
            try await membership.waitFor([.local(8000), .local(9000)], timeout: .seconds(10), "both listed")
        }
    }

    @Test("invalid service names are refused before touching ZooKeeper")
    func invalidNamesRefused() async throws {
        try await withCleanup { cleanup in
            let registry = try ZooKeeperRegistry.forTest("127.0.0.1:\(TCPProbe.freePort())", root: "")
            cleanup.add { await registry.close() }
            try await expectCode(.invalidPath) {
                try await registry.register(
                    ServiceInstance(address: .local(1)), under: [ServiceKey(service: "a/b", method: "M")])
            }
            var finished = true
            for await _ in registry.discover(ServiceKey(service: "", method: "M")) { finished = false }
            #expect(finished)
        }
    }
}

/// Ends `registry` the way a crashed process does: its connection drops and no close-session request ever
/// reaches ZooKeeper, so its session (and leaves) live on until the session timeout.
func crash(_ registry: ZooKeeperRegistry, _ relay: TCPProxy) async {
    relay.cut()
    await registry.close()
}
