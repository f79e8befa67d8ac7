// krpc-example-greeter: README's "Your own service", runnable.
//
//   krpc-example-greeter [NAME] [--zookeeper HOST:PORT]
//
// Serves Greeter on 127.0.0.1 (a free port), registers it (in ZooKeeper with --zookeeper, else in
// an in-memory registry), calls Greeter.SayHello through a KRPCChannel that discovers it there,
// prints the reply and stops. Exit status 1 on any error.
import Foundation
import KRPC
import KRPCZooKeeper

var arguments = Array(CommandLine.arguments.dropFirst())
var zookeeper: String?
if let index = arguments.firstIndex(of: "--zookeeper") {
    guard index + 1 < arguments.count else {
        print("usage: krpc-example-greeter [NAME] [--zookeeper HOST:PORT]")
        exit(2)
    }
    zookeeper = arguments[index + 1]
    arguments.removeSubrange(index...index + 1)
}
let name = arguments.first ?? "krpc"

do {
    if let zookeeper {
        let registry = try ZooKeeperRegistry(configuration: .init(connectionString: zookeeper))
        try await greet(name, registry: registry, runRegistry: { await registry.run() })
    } else {
        try await greet(name, registry: InMemoryServiceRegistry(), runRegistry: {})
    }
} catch {
    print("krpc-example-greeter: \(error)")
    exit(1)
}

/// Serves Greeter, registers it in `registry`, calls it once through a channel and prints the reply.
func greet(
    _ name: String,
    registry: any ServiceRegistry,
    runRegistry: @escaping @Sendable () async -> Void
) async throws {
    // 1. Serve: a KRPCServer with the generated protocol's conformance (Health and Stats come with it).
    let server = KRPCServer(configuration: .init(host: "127.0.0.1", port: 0), services: [GreeterService()])
    // 2. Discover: a channel following the nodes registered under Greeter.SayHello (in a client
    //    process, usually).
    let channel = KRPCChannel(key: Greeter.Method.SayHello.descriptor, registry: registry)
    try await withThrowingDiscardingTaskGroup { group in
        group.addTask { try await server.run() }
        group.addTask { await runRegistry() }
        // On the way out, error or not: stop serving and stop the registry session and the channel.
        defer {
            server.beginGracefulShutdown()
            group.cancelAll()
        }

        // 3. Register every method of the service under the server's address.
        let address = try await server.nodeAddress()
        try await registry.register(ServiceInstance(address: address), under: Greeter.Method.descriptors)

        // 4. Call through the generated client. (The channel starts after the registration: a channel
        // whose first membership is empty fails calls at once with `unavailable`.)
        group.addTask { await channel.run() }
        let greeter = Greeter.Client(channel)
        var request = HelloRequest()
        request.name = name
        let reply = try await greeter.sayHello(request, options: KRPCCallOptions(deadline: .seconds(5)))
        print(reply.text)

        try await registry.deregister(address)
    }
}
