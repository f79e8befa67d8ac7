// swift-tools-version: 6.1
// Swift 6 language mode (strict concurrency) comes with tools version 6.x.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "krpc",
    platforms: [.macOS(.v15)],  // ignored on Linux, where krpc is built and run
    products: [
        .library(name: "KRPC", targets: ["KRPC"]),
        .library(name: "KRPCZooKeeper", targets: ["KRPCZooKeeper"]),
        .library(name: "KRPCRedis", targets: ["KRPCRedis"]),
        .library(name: "KRPCTracing", targets: ["KRPCTracing"]),
        .library(name: "KRPCMetrics", targets: ["KRPCMetrics"]),
        .executable(name: "krpc-server", targets: ["krpc-server"]),
        .executable(name: "krpc-top", targets: ["krpc-top"]),
        .executable(name: "krpc-bench", targets: ["krpc-bench"]),
        .executable(name: "krpc-scenario", targets: ["krpc-scenario"]),
        .executable(name: "protoc-gen-krpc", targets: ["protoc-gen-krpc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // No default traits: BinaryDelimitedStreams pulls in Foundation streams we do not use.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Tracing (and its InMemoryTracing, for tests); ServiceContext comes with it since 1.7.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
    ],
    targets: [
        // MARK: C libraries (one system library each; shim.h holds the defines and macro getters)
        .systemLibrary(name: "CZooKeeper", path: "Sources/CZooKeeper"),
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        .systemLibrary(name: "CNCursesw", path: "Sources/CNCursesw"),

        // MARK: 1. Policy: pure Swift, no NIO, no C
        .target(name: "KRPCPolicy", swiftSettings: strictSettings),

        // MARK: 2. Wire: frame codec and protobuf messages (generated code is committed)
        .target(
            name: "KRPCWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos"],
            swiftSettings: strictSettings
        ),

        // MARK: 3. Runtime: server, node connection, channel, errors, registry/counter seams
        .target(
            name: "KRPC",
            dependencies: [
                "KRPCPolicy",
                "KRPCWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: 3b. Tracing interceptors over swift-distributed-tracing (a user may leave them out)
        .target(
            name: "KRPCTracing",
            dependencies: ["KRPC", "KRPCWire", .product(name: "Tracing", package: "swift-distributed-tracing")],
            swiftSettings: strictSettings
        ),

        // MARK: 4. Adapters over the C libraries
        .target(
            name: "KRPCZooKeeper",
            dependencies: [
                "KRPC", "CZooKeeper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KRPCRedis",
            dependencies: [
                "KRPC", "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KRPCTopTerminal",
            dependencies: ["KRPCTopCore", "CNCursesw"],
            swiftSettings: strictSettings
        ),

        // MARK: 5. Dashboard core: pure snapshot -> view state -> screen buffer
        .target(
            name: "KRPCTopCore",
            dependencies: ["KRPCPolicy", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strictSettings
        ),

        // MARK: 5b. Dashboard collection: the embedded client stack, Redis poller, windows and settings checks
        .target(
            name: "KRPCTopCollect",
            dependencies: [
                "KRPC", "KRPCPolicy", "KRPCZooKeeper", "KRPCRedis", "KRPCTopCore", "KRPCMetrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: The seed's experiments as code: scenario runner and verdicts (demo-cluster/scenario)
        .target(
            name: "KRPCDemo",
            dependencies: ["KRPC", "KRPCPolicy", "KRPCWire", "KRPCRedis", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // The node's parts (krpc-server's lifecycle services, the demo Login, the call tally), in a library
        // so that the executable only parses its command line and wires them.
        .target(
            name: "KRPCServices",
            dependencies: [
                "KRPC", "KRPCPolicy", "KRPCWire", "KRPCRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // Metrics through swift-metrics (server and client recorders) and the /metrics HTTP responder over
        // swift-prometheus's registry. Library code never bootstraps MetricsSystem: only the executables do.
        .target(
            name: "KRPCMetrics",
            dependencies: [
                "KRPC", "KRPCPolicy",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: 6. Executables: argument parsing and wiring only
        .executableTarget(
            name: "krpc-server",
            dependencies: [
                "KRPC", "KRPCZooKeeper", "KRPCRedis", "KRPCServices", "KRPCMetrics", "KRPCTracing",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "krpc-top",
            dependencies: [
                "KRPC", "KRPCRedis", "KRPCTopCore", "KRPCTopCollect", "KRPCTopTerminal", "KRPCMetrics",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "krpc-bench",
            dependencies: [
                "KRPC", "KRPCZooKeeper", "KRPCTracing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The C=1 floor experiment: a patch applied by hand, not part of the build (README, Performance).
            exclude: ["c1-floor-experiment.patch"],
            swiftSettings: strictSettings
        ),

        // The services view's frame time on a large registry (README: Performance); no terminal, no I/O.
        .executableTarget(
            name: "krpc-top-render-bench",
            dependencies: ["KRPCTopCore"],
            swiftSettings: strictSettings
        ),

        // libFuzzer target for the frame decoder: a stub in a normal build; fuzz.sh beside it
        // builds the real one (-DKRPC_FUZZING, ASan, coverage) in .build-fuzz.
        .executableTarget(
            name: "krpc-fuzz-frame",
            dependencies: [
                "KRPCWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["corpus", "fuzz.sh"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "krpc-scenario",
            dependencies: [
                "KRPC", "KRPCDemo", "KRPCPolicy", "KRPCWire", "KRPCZooKeeper", "KRPCRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Code generation: protoc-gen-krpc (service stubs) and the worked example it serves
        .target(
            name: "KRPCCodegen",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "protoc-gen-krpc",
            dependencies: ["KRPCCodegen"],
            exclude: ["check-generated.sh", "generate.sh"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "krpc-example-greeter",
            dependencies: ["KRPC", "KRPCZooKeeper", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        // Helpers shared by the integration tests: server addresses from the environment,
        // child processes with a clean signal mask, tmux. No Testing import (a plain library).
        .target(
            name: "KRPCTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/KRPCTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "KRPCPolicyTests", dependencies: ["KRPCPolicy"], swiftSettings: strictSettings),
        .testTarget(
            name: "KRPCWireTests",
            dependencies: [
                "KRPCWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCTests",
            dependencies: [
                "KRPC", "KRPCPolicy", "KRPCWire", "KRPCTestSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCTracingTests",
            dependencies: [
                "KRPCTracing", "KRPC", "KRPCPolicy", "KRPCWire",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCServicesTests",
            dependencies: [
                "KRPCServices", "KRPC", "KRPCWire", "KRPCTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCZooKeeperTests",
            dependencies: ["KRPCZooKeeper", "KRPC", "KRPCTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCRedisTests",
            dependencies: ["KRPCRedis", "KRPC", "KRPCTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCTopCoreTests",
            dependencies: ["KRPCTopCore", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCTopCollectTests",
            dependencies: ["KRPCTopCollect", "KRPCTopCore", "KRPC", "KRPCPolicy", "KRPCZooKeeper", "KRPCRedis"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "KRPCDemoTests", dependencies: ["KRPCDemo", "KRPC", "KRPCPolicy"], swiftSettings: strictSettings),
        .testTarget(
            name: "KRPCTopTerminalTests",
            dependencies: ["KRPCTopTerminal", "KRPCTopCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCCodegenTests",
            dependencies: [
                "KRPC", "KRPCPolicy", "KRPCTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KRPCMetricsTests",
            dependencies: [
                "KRPCMetrics", "KRPC", "KRPCPolicy", "KRPCTestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["KRPCTestSupport", "KRPC", "KRPCWire", "KRPCRedis", "KRPCZooKeeper"],
            swiftSettings: strictSettings
        ),
    ]
)
