import Foundation
import KRPCTestSupport
import Synchronization
import Testing

@testable import KRPCZooKeeper

@Suite("ZooKeeperClient against a real ZooKeeper", .enabled(if: TestEnvironment.isAvailable(.zooKeeper)))
struct ZooKeeperClientTests {
    @Test("an ephemeral znode exists while its session lives and vanishes when the session closes")
    func ephemeralRoundTrip() async throws {
        try await withCleanup { cleanup in
            let address = try sharedZooKeeper()
            let owner = try await connectedClient(address)
            let observer = try await connectedClient(address)
            let root = uniqueRoot("eph")
            cleanup.add {
                await deleteTree(observer, root)
                await observer.close()
            }

            try await createTree(owner, root)
            let path = try await owner.create("\(root)/node", data: Array("hello".utf8), mode: .ephemeral)
            #expect(path == "\(root)/node")

            let events = observer.events()
            let stat = try #require(try await observer.exists(path, watch: true))
            let ownerSession = try #require(owner.sessionCredentials)
            #expect(stat.ephemeralOwner == ownerSession.id)
            #expect(stat.isEphemeral)
            #expect(try await observer.get(path).data == Array("hello".utf8))

            await owner.close()
            #expect(owner.state == .closed)

            // The observer's watch fires, and the node is gone.
            let deleted = try await firstEvent(in: events, timeout: .seconds(10)) { $0 == .node(.deleted, path: path) }
            #expect(deleted)
            #expect(try await observer.exists(path) == nil)
        }
    }

    @Test("create, get, set, children and delete, with ZooKeeper's errors as typed codes")
    func operationsAndTypedErrors() async throws {
        try await withCleanup { cleanup in
            let client = try await connectedClient(try sharedZooKeeper())
            let root = uniqueRoot("ops")
            cleanup.add {
                await deleteTree(client, root)
                await client.close()
            }

            try await createTree(client, root)
            let events = client.events()
            #expect(try await client.children(root, watch: true) == [])
            _ = try await client.create("\(root)/a", data: [1, 2, 3])
            #expect(
                try await firstEvent(in: events, timeout: .seconds(10)) { $0 == .node(.childrenChanged, path: root) })

            let sequential = try await client.create("\(root)/seq-", mode: .persistentSequential)
            #expect(sequential.hasPrefix("\(root)/seq-") && sequential.count == "\(root)/seq-".count + 10)
            #expect(Set(try await client.children(root)) == ["a", String(sequential.split(separator: "/").last!)])

            let (data, stat) = try await client.get("\(root)/a")
            #expect(data == [1, 2, 3])
            #expect(stat.version == 0 && stat.dataLength == 3 && !stat.isEphemeral)
            let updated = try await client.set("\(root)/a", data: [], version: 0)
            #expect(updated.version == 1)
            #expect(try await client.get("\(root)/a").data == [])

            try await expectCode(.nodeExists) { _ = try await client.create("\(root)/a") }
            try await expectCode(.noNode) { _ = try await client.create("\(root)/missing/child") }
            try await expectCode(.noNode) { _ = try await client.get("\(root)/missing") }
            try await expectCode(.badVersion) { _ = try await client.set("\(root)/a", data: [9], version: 0) }
            try await expectCode(.notEmpty) { try await client.delete(root) }
            try await expectCode(.badArguments) { _ = try await client.exists("no-leading-slash") }
            let ephemeral = try await client.create("\(root)/e", mode: .ephemeral)
            try await expectCode(.noChildrenForEphemerals) { _ = try await client.create("\(ephemeral)/child") }

            try await client.delete("\(root)/a", version: 1)
            #expect(try await client.exists("\(root)/a") == nil)
            try await expectCode(.noNode) { try await client.delete("\(root)/a") }
        }
    }

    @Test("an unreachable server: the client keeps connecting, waiting times out, requests fail")
    func unreachableServer() async throws {
        let client = try await ZooKeeperClient(
            configuration: .init(connectionString: "127.0.0.1:\(TCPProbe.freePort())", sessionTimeout: .seconds(2)),
            logger: LogCapture().logger()
        )
        #expect(client.state == .connecting)
        let error = try await #require(throws: ZooKeeperError.self) {
            try await client.waitUntilConnected(timeout: .milliseconds(300))
        }
        #expect(error.code == .operationTimeout)
        let failure = try await #require(throws: ZooKeeperError.self) { _ = try await client.exists("/") }
        #expect(failure.code.isConnectionProblem)
        await client.close()
    }

    @Test("close fails later requests and ends the event streams with .closed")
    func closeEndsEverything() async throws {
        let client = try await connectedClient(try sharedZooKeeper())
        let events = client.events()
        await client.close()
        await client.close()  // a second close does nothing
        try await expectCode(.closing) { _ = try await client.exists("/") }
        var seen: [ZooKeeperEvent] = []
        for await event in events { seen.append(event) }
        #expect(seen.first == .session(.connected))
        #expect(seen.last == .session(.closed))
        // Subscribing after the close still says so, and finishes.
        var late: [ZooKeeperEvent] = []
        for await event in client.events() { late.append(event) }
        #expect(late == [.session(.closed)])
    }

    @Test("a bad connection string is a typed error, not a crash")
    func badConnectionString() async throws {
        await #expect(throws: ZooKeeperError.self) {
            _ = try await ZooKeeperClient(configuration: .init(connectionString: ""), logger: LogCapture().logger())
        }
        let error = try await #require(throws: ZooKeeperError.self) {
            _ = try await ZooKeeperClient(
                configuration: .init(connectionString: "no-such-host.invalid:2181"),
                logger: LogCapture().logger()
            )
        }
        #expect(error.code == .badArguments)
    }

    @Test("the C library's log goes to the logger at debug level")
    func libraryLogIsRouted() async throws {
        let logs = LogCapture()
        let client = try await ZooKeeperClient(
            configuration: .init(connectionString: "127.0.0.1:\(TCPProbe.freePort())", sessionTimeout: .seconds(2)),
            logger: logs.logger()
        )
        // Connection refused is logged by the C client at ERROR level.
        try await waitUntil("a libzookeeper message in the logger", timeout: .seconds(10)) {
            logs.entries(at: .debug).contains { $0.metadata["zk.source"] == "libzookeeper" }
        }
        await client.close()
    }
}

/// Whether an event matching `predicate` arrives within `timeout`.
func firstEvent(
    in events: AsyncStream<ZooKeeperEvent>,
    timeout: Duration,
    _ predicate: @escaping @Sendable (ZooKeeperEvent) -> Bool
) async throws -> Bool {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await event in events where predicate(event) { return true }
            return false
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return false
        }
        defer { group.cancelAll() }
        return try await group.next() ?? false
    }
}

/// Expects `body` to throw a ``ZooKeeperError`` with `code`.
func expectCode(
    _ code: ZooKeeperError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async throws {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ZooKeeperError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    }
}
