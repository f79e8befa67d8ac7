import KRPC
import KRPCPolicy
import KRPCWire
import NIOCore
import NIOPosix
import Testing

/// Deadlines in these tests are generous: the machine has 2 cores shared with other builds.
enum Timeouts {
    static let generous: Duration = .seconds(20)
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out: \(self.what)" }
}

/// Runs `body`, failing with ``TimeoutError`` if it takes longer than `limit`.
func withTimeout<T: Sendable>(
    _ limit: Duration = Timeouts.generous,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError(what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` every 5 ms until it holds; fails after `limit`.
func waitUntil(
    _ what: String,
    limit: Duration = Timeouts.generous,
    _ condition: @escaping @Sendable () async -> Bool
) async throws {
    let end = ContinuousClock.now + limit
    while !(await condition()) {
        guard ContinuousClock.now < end else { throw TimeoutError(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A server on 127.0.0.1, port 0, for the duration of `body`; shut down (gracefully) after it.
@discardableResult
func withServer<T: Sendable>(
    services: [any KRPCService] = [UserService(), EchoService()],
    configure: (inout KRPCServer.Configuration) -> Void = { _ in },
    _ body: (KRPCServer, NodeAddress) async throws -> T
) async throws -> T {
    var configuration = KRPCServer.Configuration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let server = KRPCServer(configuration: configuration, services: services)
    let running = Task { try await server.run() }
    do {
        let address = try await server.listeningAddress()
        let result = try await body(server, address)
        server.beginGracefulShutdown()
        try await running.value
        return result
    } catch {
        server.beginGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

/// A connection to `address` for the duration of `body`, closed after it. Its default deadline is
/// generous: the tests run in parallel on 2 shared cores, where 5 s is not always enough.
@discardableResult
func withConnection<T: Sendable>(
    to address: NodeAddress,
    configuration: NodeConnection.Configuration = .init(defaultDeadline: Timeouts.generous),
    _ body: (NodeConnection) async throws -> T
) async throws -> T {
    let connection = NodeConnection(to: address, configuration: configuration)
    do {
        let result = try await body(connection)
        await connection.close()
        return result
    } catch {
        await connection.close()
        throw error
    }
}

/// Expects `body` to throw a ``KRPCError`` with `code`; returns it.
@discardableResult
func expectKRPCError<T>(
    _ code: KRPCError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> KRPCError? {
    do {
        let value = try await body()
        Issue.record("expected \(code), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as KRPCError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a KRPCError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

