import Foundation
import KRPC
import KRPCPolicy
import KRPCTestSupport
import Testing

/// The test's implementation of the generated `Calculator.ServiceProtocol` (Protos/calculator.proto).
struct CalculatorService: Krpc_Codegen_Test_Calculator.ServiceProtocol {
    func add(
        _ request: Krpc_Codegen_Test_AddRequest,
        context: KRPCServerContext
    ) async throws -> Krpc_Codegen_Test_AddReply {
        let (sum, overflow) = request.a.addingReportingOverflow(request.b)
        guard !overflow else { throw KRPCError(code: .invalidRequest, message: "\(request.a) + \(request.b) overflows") }
        var reply = Krpc_Codegen_Test_AddReply()
        reply.sum = sum
        return reply
    }

    func divide(
        _ request: Krpc_Codegen_Test_DivideRequest,
        context: KRPCServerContext
    ) async throws -> Krpc_Codegen_Test_DivideReply {
        guard request.divisor != 0 else { throw KRPCError(code: .invalidRequest, message: "division by zero") }
        let (quotient, overflow) = request.dividend.dividedReportingOverflow(by: request.divisor)
        guard !overflow else { throw KRPCError(code: .invalidRequest, message: "quotient overflows") }
        var reply = Krpc_Codegen_Test_DivideReply()
        reply.quotient = quotient
        return reply
    }
}

@Suite("protoc-gen-krpc: generated stubs, served and called")
struct GeneratedServiceTests {
    typealias Calculator = Krpc_Codegen_Test_Calculator

    static func add(_ a: Int64, _ b: Int64) -> Krpc_Codegen_Test_AddRequest {
        var request = Krpc_Codegen_Test_AddRequest()
        request.a = a
        request.b = b
        return request
    }

    static func divide(_ dividend: Int64, by divisor: Int64) -> Krpc_Codegen_Test_DivideRequest {
        var request = Krpc_Codegen_Test_DivideRequest()
        request.dividend = dividend
        request.divisor = divisor
        return request
    }

    @Test("the committed stubs are what protoc-gen-krpc generates from their .proto files")
    func committedStubsAreCurrent() async throws {
        let out = NSTemporaryDirectory() + "krpc-codegen-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let script = Binaries.packageRoot + "/Sources/protoc-gen-krpc/generate.sh"
        let process = try ChildProcess(
            script, [out], environment: ["PROTOC_GEN_KRPC": Binaries.path("protoc-gen-krpc")]
        )
        #expect(try await process.waitForExit(timeout: .seconds(60)), "generate.sh still running")
        #expect(process.exitCode == 0, "generate.sh failed: \(process.log())")
        for stub in [
            "Sources/KRPC/Generated/user.krpc.swift",
            "Sources/KRPC/Generated/echo.krpc.swift",
            "Sources/KRPC/Generated/health.krpc.swift",
            "Sources/KRPC/Generated/stats.krpc.swift",
            "Tests/KRPCCodegenTests/Generated/calculator.krpc.swift",
            "Sources/krpc-example-greeter/Generated/greeter.krpc.swift",
        ] {
            let generated = try String(contentsOfFile: out + "/" + stub, encoding: .utf8)
            let committed = try String(contentsOfFile: Binaries.packageRoot + "/" + stub, encoding: .utf8)
            #expect(generated == committed, "\(stub) is stale: run Sources/protoc-gen-krpc/generate.sh")
        }
    }

    @Test("descriptors name the service and its methods as the server registers them")
    func descriptors() async throws {
        #expect(Calculator.name == "Calculator")
        #expect(
            Calculator.Method.descriptors == [
                ServiceKey(service: "Calculator", method: "Add"), ServiceKey(service: "Calculator", method: "Divide"),
            ]
        )
        #expect(Calculator.Method.Divide.descriptor.description == "Calculator.Divide")
        let server = KRPCServer(services: [CalculatorService()])
        #expect(Set(Calculator.Method.descriptors).isSubset(of: Set(server.serviceKeys)))
    }

    @Test("both methods answer through the generated client over a NodeConnection")
    func callsOverConnection() async throws {
        try await withCalculatorClient { calculator in
            let sum = try await calculator.add(Self.add(40, 2))
            #expect(sum.sum == 42)
            let quotient = try await calculator.divide(Self.divide(-9, by: 2), options: .init(deadline: .seconds(20)))
            #expect(quotient.quotient == -4)
        }
    }

    @Test("a method's typed error reaches the generated client with its code and message")
    func typedError() async throws {
        try await withCalculatorClient { calculator in
            let error = await #expect(throws: KRPCError.self) {
                try await calculator.divide(Self.divide(1, by: 0))
            }
            #expect(error?.code == .invalidRequest)
            #expect(error?.message == "division by zero")
            // The connection and the service are still fine after the error.
            let after = try await calculator.divide(Self.divide(9, by: 3))
            #expect(after.quotient == 3)
        }
    }

    @Test("the generated client works over a KRPCChannel discovering the server by its descriptor")
    func callsOverChannel() async throws {
        try await withCalculatorServer { address in
            let registry = InMemoryServiceRegistry()
            try await registry.register(ServiceInstance(address: address), under: Calculator.Method.descriptors)
            let channel = KRPCChannel(key: Calculator.Method.Add.descriptor, registry: registry)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await channel.run() }
                let calculator = Calculator.Client(channel)
                let reply = try await calculator.add(Self.add(1, 2), options: KRPCCallOptions(deadline: .seconds(20)))
                #expect(reply.sum == 3)
                group.cancelAll()
            }
        }
    }

    @Test("krpc-example-greeter serves Greeter, discovers it through a channel and calls it")
    func exampleGreeter() async throws {
        let process = try ChildProcess(Binaries.path("krpc-example-greeter"), ["codegen"])
        #expect(try await process.waitForExit(timeout: .seconds(30)), "krpc-example-greeter still running")
        #expect(process.exitCode == 0)
        #expect(process.log().contains("Hello, codegen!"), "output: \(process.log())")
        if process.isRunning { process.kill() }
    }

    @Test(
        "krpc-example-greeter registers Greeter in ZooKeeper and calls it through a channel discovering it there",
        .enabled(if: TestEnvironment.isAvailable(.zooKeeper))
    )
    func exampleGreeterWithZooKeeper() async throws {
        let zooKeeper = try TestEnvironment.addressString(of: .zooKeeper)
        let process = try ChildProcess(Binaries.path("krpc-example-greeter"), ["zk", "--zookeeper", zooKeeper])
        #expect(try await process.waitForExit(timeout: .seconds(60)), "krpc-example-greeter still running")
        #expect(process.exitCode == 0)
        #expect(process.log().contains("Hello, zk!"), "output: \(process.log())")
        if process.isRunning { process.kill() }
    }

    /// A generated client over a connection to a ``withCalculatorServer(_:)`` server, closed after `body`.
    func withCalculatorClient(_ body: (Calculator.Client<NodeConnection>) async throws -> Void) async throws {
        try await self.withCalculatorServer { address in
            // Generous default deadline: the tests share 2 cores with other builds.
            let connection = NodeConnection(to: address, configuration: .init(defaultDeadline: .seconds(20)))
            do {
                try await body(Calculator.Client(connection))
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }
    }

    /// A server on 127.0.0.1, port 0, serving ``CalculatorService`` for the duration of `body`.
    func withCalculatorServer(_ body: (NodeAddress) async throws -> Void) async throws {
        let server = KRPCServer(configuration: .init(host: "127.0.0.1", port: 0), services: [CalculatorService()])
        let running = Task { try await server.run() }
        do {
            try await body(try await server.listeningAddress())
        } catch {
            server.beginGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        server.beginGracefulShutdown()
        try await running.value
    }
}
