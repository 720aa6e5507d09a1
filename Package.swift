// swift-tools-version:6.1
// Flux for Swift: a durable workflow orchestration engine with an MCP front door.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "flux",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Flux", targets: ["Flux"]),
        .executable(name: "flux", targets: ["flux"]),
        .executable(name: "flux-benchmark", targets: ["FluxBenchmark"]),
        // The whole command line, for executables that compile their own Swift workflows and tasks in.
        .library(name: "FluxCLI", targets: ["FluxCLI"]),
        .executable(name: "flux-example-worker", targets: ["FluxExampleWorker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", .upToNextMinor(from: "0.12.1")),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.36.0"),
        // Already resolved through Hummingbird; FluxWorker reads the server's event stream with it.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        // The HTTP client of the worker, the `http` step and the CLI's --server-url, on the NIO already linked:
        // replaces URLSession, whose Linux build (FoundationNetworking: libcurl and ~25 shared libraries) cost the
        // server ~5.5 MB of RSS and its start time, and a remote worker a third of its CPU per execution.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "FluxCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FluxStore",
            dependencies: ["FluxCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // PostgreSQL lives in its own target so that the `Flux` library (SQLite only) does not build
        // PostgresNIO and its second BoringSSL; FluxService, and so every `flux` command, links it.
        .target(
            name: "FluxPostgres",
            dependencies: ["FluxCore",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxConfig",
            dependencies: [.product(name: "TOMLKit", package: "TOMLKit"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxDocuments",
            dependencies: ["FluxCore", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxService",
            dependencies: ["Flux", "FluxCore", "FluxDocuments", "FluxConfig", "FluxStore", "FluxPostgres",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxMCP",
            dependencies: ["FluxService",
                           .product(name: "MCP", package: "swift-sdk"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxHTTP",
            dependencies: ["FluxService",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxWorker",
            dependencies: ["FluxCore", "FluxDocuments", "FluxConfig",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .target(
            name: "FluxCLI",
            dependencies: ["FluxService", "FluxMCP", "FluxHTTP", "FluxWorker", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict
        ),
        .target(name: "Flux", dependencies: ["FluxCore", "FluxStore", "FluxConfig"], swiftSettings: strict),
        .executableTarget(name: "flux", dependencies: ["FluxCLI"], swiftSettings: strict),
        .executableTarget(name: "FluxBenchmark", dependencies: ["Flux", "FluxStore", "FluxDocuments", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .target(name: "FluxExamples", dependencies: ["Flux"], path: "examples/swift", swiftSettings: strict),
        .executableTarget(name: "flux-examples", dependencies: ["FluxExamples", "Flux"], path: "examples/runner", swiftSettings: strict),
        .executableTarget(name: "FluxExampleWorker", dependencies: ["FluxCLI", "Flux"], path: "examples/worker",
                          exclude: ["README.md"], swiftSettings: strict),
        // `flux` with tasks that misbehave on purpose, for the tests of the shutdown backstop; not a product.
        .executableTarget(name: "FluxTestBinary", dependencies: ["FluxCLI", "Flux"], path: "Tests/FluxTestBinary", swiftSettings: strict),
        .testTarget(name: "FluxExamplesTests", dependencies: ["FluxExamples", "Flux", "FluxStore"], swiftSettings: strict),
        .testTarget(name: "FluxCoreTests", dependencies: ["FluxCore"], swiftSettings: strict),
        .testTarget(name: "FluxStoreTests", dependencies: ["FluxStore", "FluxPostgres", "FluxService", "FluxConfig", "Flux",
                                                         .product(name: "PostgresNIO", package: "postgres-nio")],
                    swiftSettings: strict),
        .testTarget(name: "FluxConfigTests", dependencies: ["FluxConfig"], swiftSettings: strict),
        .testTarget(name: "FluxDocumentsTests", dependencies: ["FluxDocuments"], exclude: ["Fixtures", "Scripts"], swiftSettings: strict),
        .testTarget(name: "FluxCLITests", dependencies: ["FluxCore"], swiftSettings: strict),
        .testTarget(name: "FluxMCPTests", dependencies: ["FluxMCP", "FluxService", "Flux", .product(name: "MCP", package: "swift-sdk"),
                                                       .product(name: "Hummingbird", package: "hummingbird"),
                                                       .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    exclude: ["Scripts"], swiftSettings: strict),
        .testTarget(name: "FluxHTTPTests", dependencies: ["FluxCore", "FluxPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                                                        .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strict),
        .testTarget(name: "FluxWorkerTests", dependencies: ["FluxWorker"], swiftSettings: strict),
        .testTarget(name: "FluxProofsTests", dependencies: ["FluxCore"], exclude: ["Scripts"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

