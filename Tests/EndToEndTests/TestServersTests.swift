import Foundation
import KRPCTestSupport
import Testing

/// The servers `demo-cluster/test` starts are real and answer their own protocols.
@Suite("Test servers")
struct TestServersTests {
    @Test("the ZooKeeper from demo-cluster/test is serving", .enabled(if: TestEnvironment.isAvailable(.zooKeeper)))
    func zooKeeperServes() throws {
        let (host, port) = try TestEnvironment.address(of: .zooKeeper)
        let answer = FourLetterWord.send("srvr", port: port, host: host)
        #expect(answer.hasPrefix("Zookeeper version"), "srvr answered: \(answer)")
    }

    @Test("the Redis from demo-cluster/test answers PING", .enabled(if: TestEnvironment.isAvailable(.redis)))
    func redisAnswers() throws {
        let address = try TestEnvironment.addressString(of: .redis)
        let port = String(address.split(separator: ":").last!)
        let cli = try ChildProcess("redis-cli", ["-p", port, "ping"])
        var exited = false
        for _ in 0..<500 where !exited { exited = !cli.isRunning; if !exited { usleep(10_000) } }
        #expect(exited)
        #expect(cli.log().trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
    }
}
