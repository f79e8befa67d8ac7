import Foundation
import KRPC
import KRPCPolicy
import Testing

@testable import KRPCZooKeeper

@Suite("Leaf data and layout")
struct LeafDataTests {
    @Test("a registration is written as the documented JSON document, fields in order")
    func encodesDocumentedJSON() throws {
        let instance = ServiceInstance(address: .local(8000), weight: 3, pid: 42, startedAt: 1_700_000_000, version: "1.2")
        let text = String(decoding: LeafData.encode(instance, pid: 1, startedAt: 2), as: UTF8.self)
        #expect(text == #"{"host":"127.0.0.1","port":8000,"weight":3,"pid":42,"started_at":1700000000,"version":"1.2"}"#)
    }

    @Test("missing pid, start time and version are filled in from the process")
    func fillsDefaults() throws {
        let text = String(decoding: LeafData.encode(ServiceInstance(address: .local(9)), pid: 7, startedAt: 11), as: UTF8.self)
        #expect(text == #"{"host":"127.0.0.1","port":9,"weight":1,"pid":7,"started_at":11,"version":"\#(LeafData.defaultVersion)"}"#)
    }

    @Test("what is written is read back")
    func roundTrip() throws {
        let instance = ServiceInstance(address: NodeAddress(host: "::1", port: 10000), weight: 0, pid: 5, startedAt: 6, version: "v\"1\\")
        let data = LeafData.encode(instance, pid: 1, startedAt: 2)
        #expect(try LeafData.decode(name: "[::1]:10000", data: data).get() == instance)
    }

    @Test(
        "the seed's bare host:port leaves are accepted with weight 1",
        arguments: ["", "127.0.0.1:8000", "  ", "hello", "\u{1}\u{2}binary"]
    )
    func acceptsBareLeaves(data: String) throws {
        let instance = try LeafData.decode(name: "127.0.0.1:8000", data: Array(data.utf8)).get()
        #expect(instance == ServiceInstance(address: .local(8000)))
    }

    @Test("whether the server honors fault keys is published as fault_injection and read back")
    func faultInjectionFlag() throws {
        let instance = ServiceInstance(address: .local(8000), pid: 1, startedAt: 2, version: "v", faultInjection: true)
        let data = LeafData.encode(instance, pid: 1, startedAt: 2)
        #expect(String(decoding: data, as: UTF8.self).hasSuffix(",\"fault_injection\":true}"))
        #expect(try LeafData.decode(name: "127.0.0.1:8000", data: data).get().faultInjection == true)
        // Absent (the seed, older servers): unknown, not false.
        let bare = LeafData.encode(ServiceInstance(address: .local(8000)), pid: 1, startedAt: 2)
        #expect(try LeafData.decode(name: "127.0.0.1:8000", data: bare).get().faultInjection == nil)
    }

    @Test("JSON with unknown fields, a fractional start time or a numeric version is accepted")
    func lenientJSON() throws {
        let data = Array(#" {"weight":2,"started_at":1.5e9,"version":2,"zone":"eu"}"#.utf8)
        let instance = try LeafData.decode(name: "h:1", data: data).get()
        #expect(instance == ServiceInstance(address: NodeAddress(host: "h", port: 1), weight: 2, startedAt: 1_500_000_000, version: "2"))
    }

    @Test(
        "malformed leaves are rejected with a reason naming the leaf",
        arguments: [
            ("not-an-address", "{}"),
            ("127.0.0.1:99999", ""),
            ("127.0.0.1:8000", "{not json"),
            ("127.0.0.1:8000", #"{"weight":-1}"#),
            ("127.0.0.1:8000", #"{"weight":"heavy"}"#),
            ("127.0.0.1:8000", #"{"port":"x"}"#),
            ("127.0.0.1:8000", "[1,2]"),
        ]
    )
    func rejectsMalformed(name: String, data: String) throws {
        let result = LeafData.decode(name: name, data: Array(data.utf8))
        guard case .failure(let problem) = result else {
            Issue.record("accepted \(name) with \(data)")
            return
        }
        #expect(problem.reason.contains(name))
    }

    @Test("paths follow <root>/<Service>/<Method>/<host:port>")
    func layoutPaths() throws {
        let key = ServiceKey(service: "UserServiceRpc", method: "Login")
        #expect(try RegistryLayout(root: "").leafPath(key, .local(8000)) == "/UserServiceRpc/Login/127.0.0.1:8000")
        #expect(try RegistryLayout(root: "/krpc").methodPath(key) == "/krpc/UserServiceRpc/Login")
        #expect(RegistryLayout.ancestors(of: "/a/b/c") == ["/a", "/a/b"])
        #expect(RegistryLayout.ancestors(of: "/a") == [])
    }

    @Test("names that cannot be znodes are refused", arguments: ["", "a/b", ".", "..", "tab\there"])
    func invalidNames(name: String) throws {
        let layout = try RegistryLayout(root: "/krpc")
        let error = try #require(throws: ZooKeeperError.self) {
            try layout.methodPath(ServiceKey(service: name, method: "M"))
        }
        #expect(error.code == .invalidPath)
        #expect(throws: ZooKeeperError.self) { try layout.methodPath(ServiceKey(service: "S", method: name)) }
    }

    @Test("the reserved /zookeeper tree is refused at the top level only")
    func reservedService() throws {
        let key = ServiceKey(service: "zookeeper", method: "M")
        #expect(throws: ZooKeeperError.self) { try RegistryLayout(root: "").methodPath(key) }
        #expect(try RegistryLayout(root: "/krpc").methodPath(key) == "/krpc/zookeeper/M")
    }

    @Test(
        "configuration errors name the field",
        arguments: [
            (ZooKeeperRegistry.Configuration(connectionString: ""), "connectionString"),
            (ZooKeeperRegistry.Configuration(connectionString: "127.0.0.1:2181,nohost"), "connectionString"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", sessionTimeout: .zero), "sessionTimeout"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", root: "krpc"), "root"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", root: "/krpc/"), "root"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", root: "/a//b"), "root"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", debounce: .seconds(2)), "maxDebounceDelay"),
            (ZooKeeperRegistry.Configuration(connectionString: "h:1", operationTimeout: .zero), "operationTimeout"),
        ]
    )
    func configurationErrors(configuration: ZooKeeperRegistry.Configuration, field: String) throws {
        let error = try #require(throws: ZooKeeperError.self) { try ZooKeeperRegistry(configuration: configuration) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains(field))
    }

    @Test("an ensemble with a chroot suffix is a valid connection string")
    func ensembleConnectionString() throws {
        let configuration = ZooKeeperRegistry.Configuration(connectionString: "zk1:2181, zk2:2181,[::1]:2181/apps")
        #expect(throws: Never.self) { _ = try configuration.validate() }
    }

    @Test("errors read code: \"message\" (path: …)")
    func errorDescription() {
        let error = ZooKeeperError(code: .noNode, message: "get: no node", path: "/a")
        #expect(error.description == #"no node: "get: no node" (path: /a)"#)
        #expect(ZooKeeperError.Code.connectionLoss.isConnectionProblem)
        #expect(!ZooKeeperError.Code.noNode.isConnectionProblem)
    }

    @Test("session ids print as the server logs them, without the password")
    func credentialsDescription() {
        #expect(ZooKeeperSessionCredentials(id: 0x1_0000_00ab, password: [1, 2]).description == "0x1000000ab")
    }
}
