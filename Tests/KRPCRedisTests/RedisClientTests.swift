import KRPCTestSupport
import Logging
import Testing

@testable import KRPCRedis

@Suite("RedisClient against a real Redis", .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set"))
struct RedisClientTests {
    @Test("INCR and GET round trip through the wrapper")
    func incrGet() async throws {
        let key = RedisTest.unique("krpc:test:incr:")
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            #expect(try await client.send("INCR", key) == .integer(1))
            #expect(try await client.send("INCR", key) == .integer(2))
            let value = try await client.send("GET", key)
            #expect(value.string == "2")
            #expect(value.integer == 2)
            #expect(client.state == .connected)
            await RedisTest.delete([key], using: client)
        }
    }

    @Test("a pipeline returns every reply in order, error replies in place; send throws them")
    func pipeline() async throws {
        let key = RedisTest.unique("krpc:test:pipe:")
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            let replies = try await client.pipeline([
                RedisCommand("SET", key, "text"),
                RedisCommand("INCR", key),
                RedisCommand("GET", key),
                RedisCommand("GET", key + ":missing"),
                RedisCommand("RPUSH", key + ":list", "a", "b"),
                RedisCommand("LRANGE", key + ":list", "0", "-1"),
            ])
            #expect(replies.count == 6)
            #expect(replies[0] == .simpleString("OK"))
            #expect(replies[1].errorMessage?.contains("not an integer") == true)
            #expect(replies[2] == .bulkString("text"))
            #expect(replies[3] == .null)
            #expect(replies[4] == .integer(2))
            #expect(replies[5] == .array([.bulkString("a"), .bulkString("b")]))

            do throws(RedisError) {
                _ = try await client.send("INCR", key)
                Issue.record("INCR of a non-integer must throw")
            } catch {
                #expect(error.code == .serverError)
                #expect(error.message.contains("not an integer"))
            }
            // The connection survives an error reply.
            #expect(try await client.send("GET", key) == .bulkString("text"))
            #expect(client.state == .connected)
            await RedisTest.delete([key, key + ":list"], using: client)
        }
    }

    @Test("keys and values are binary-safe")
    func binarySafe() async throws {
        let key: [UInt8] = Array(RedisTest.unique("krpc:test:bin:").utf8) + [0, 32, 10, 255]
        let value: [UInt8] = [0, 1, 2, 13, 10, 255, 254, 0]
        try await RedisTest.withClient(try RedisTest.sharedConfiguration()) { client in
            _ = try await client.send(RedisCommand(bytes: [Array("SET".utf8), key, value]))
            #expect(try await client.send(RedisCommand(bytes: [Array("GET".utf8), key])) == .bulkString(value))
            #expect(try await client.send(RedisCommand(bytes: [Array("STRLEN".utf8), key])) == .integer(8))
            _ = try await client.send(RedisCommand(bytes: [Array("DEL".utf8), key]))
        }
    }

    @Test("a reply slower than the command timeout is a timeout; the next command reconnects")
    func commandTimeout() async throws {
        var configuration = try RedisTest.sharedConfiguration()
        configuration.commandTimeout = .milliseconds(200)
        let list = RedisTest.unique("krpc:test:block:")
        try await RedisTest.withClient(configuration) { client in
            do throws(RedisError) {
                _ = try await client.send("BLPOP", list, "3")  // blocks 3 s on the server
                Issue.record("BLPOP must time out")
            } catch {
                #expect(error.code == .timeout)
            }
            #expect(client.state == .disconnected)
            // The blocked connection was dropped; a fresh one answers at once (not the late BLPOP reply).
            let pong = try await client.send("PING")
            #expect(pong == .simpleString("PONG"))
            #expect(client.state == .connected)
        }
    }

    @Test("after shutdown commands fail with shutDown")
    func shutdown() async throws {
        let client = try RedisClient(configuration: try RedisTest.sharedConfiguration(), logger: RedisTest.quietLogger)
        #expect(try await client.send("PING") == .simpleString("PONG"))
        await client.shutdown()
        await client.shutdown()  // idempotent
        #expect(client.state == .shutDown)
        do throws(RedisError) {
            _ = try await client.send("PING")
            Issue.record("a shut-down client must refuse commands")
        } catch {
            #expect(error.code == .shutDown)
        }
    }
}

@Suite(
    "RedisClient with a private Redis (outages, credentials)",
    .enabled(if: RedisTest.isAvailable, "KRPC_TEST_REDIS is not set (redis-server may be missing)")
)
struct RedisClientPrivateServerTests {
    @Test("a Redis that is down at start is not fatal; the client connects once it is up")
    func downAtStart() async throws {
        let port = TCPProbe.freePort()
        let capture = LogCapture()
        let client = try RedisClient(
            configuration: try RedisTest.fastReconnecting("127.0.0.1:\(port)"),
            logger: capture.logger()
        )
        var states = client.stateUpdates().makeAsyncIterator()
        #expect(await states.next() == .connecting)
        do throws(RedisError) {
            _ = try await client.send("PING")
            Issue.record("nothing listens yet")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.message.contains("127.0.0.1:\(port)"))
        }
        #expect(client.state == .disconnected)
        #expect(await states.next() == .disconnected)

        let redis = try await RedisProcess(port: port)
        defer { redis.stop() }
        try await waitUntil("the client to reconnect to \(redis.address)", timeout: .seconds(10)) {
            (try? await client.send("PING")) == .simpleString("PONG")
        }
        #expect(client.state == .connected)
        #expect(await states.next() == .connected)
        #expect(capture.entries(.info, containing: "redis unreachable").count == 1)
        #expect(capture.entries(.info, containing: "redis connected").count == 1)
        await client.shutdown()
        #expect(await states.next() == .shutDown)
        #expect(await states.next() == nil)
    }

    @Test("AUTH with a password and SELECT of a database")
    func authAndSelect() async throws {
        let redis = try await RedisProcess()
        defer { redis.stop() }
        let base = try RedisConfiguration(address: redis.address)
        try await RedisTest.withClient(base) { admin in
            _ = try await admin.send("CONFIG", "SET", "requirepass", "s3cret")
        }

        // No password: reported as an authentication failure at connect.
        try await RedisTest.withClient(base) { client in
            do throws(RedisError) {
                try await client.connect()
                Issue.record("connecting without the password must fail")
            } catch {
                #expect(error.code == .authenticationFailed)
            }
        }
        // Wrong password.
        var wrong = base
        wrong.password = "nope"
        try await RedisTest.withClient(wrong) { client in
            do throws(RedisError) {
                _ = try await client.send("PING")
                Issue.record("a wrong password must fail")
            } catch {
                #expect(error.code == .authenticationFailed)
            }
        }
        // Right password, database 3: the key lands in db 3 only.
        var db3 = base
        db3.password = "s3cret"
        db3.database = 3
        var db0 = base
        db0.password = "s3cret"
        try await RedisTest.withClient(db3) { client in
            _ = try await client.send("SET", "krpc:test:selected", "yes")
        }
        try await RedisTest.withClient(db3) { client in
            let value = try await client.send("GET", "krpc:test:selected")
            #expect(value == .bulkString("yes"))
        }
        try await RedisTest.withClient(db0) { client in
            let value = try await client.send("GET", "krpc:test:selected")
            #expect(value == .null)
        }
    }
}
