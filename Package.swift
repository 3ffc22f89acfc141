// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "stomp-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "STOMPCore", targets: ["STOMPCore"]),
        .library(name: "STOMPClient", targets: ["STOMPClient"]),
        .library(name: "STOMPBroker", targets: ["STOMPBroker"]),
        // For the fuzz targets in Fuzz/ (a separate package that depends on this one).
        .library(name: "GatewayCore", targets: ["GatewayCore"]),
        .library(name: "GatewayAuth", targets: ["GatewayAuth"]),
        .library(name: "GatewayPush", targets: ["GatewayPush"]),
        .executable(name: "stomp-gateway", targets: ["stomp-gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.4.0"..<"7.0.0"),
    ],
    targets: [
        // The protocol: frames, codec, limits, heart-beat rule. NIOCore only.
        .target(
            name: "STOMPCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // An async client over SwiftNIO.
        .target(
            name: "STOMPClient",
            dependencies: [
                "STOMPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded broker.
        .target(
            name: "STOMPBroker",
            dependencies: [
                "STOMPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The gateway's logic: destinations and patterns, retained history. No I/O.
        .target(
            name: "GatewayCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections")
            ],
            swiftSettings: swiftSettings
        ),
        // Tokens: JWT verification (jwt-kit) into access grants; development tokens.
        .target(
            name: "GatewayAuth",
            dependencies: [
                "GatewayCore",
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The browser transports on SwiftNIO: STOMP over WebSocket, SSE, the fan-out.
        .target(
            name: "GatewayPush",
            dependencies: [
                "GatewayCore", "STOMPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Webhooks: routes, Standard Webhooks signatures, retry schedule, per-key order,
        // dead letters; the broker and the HTTP poster behind protocols.
        .target(
            name: "GatewayWebhooks",
            dependencies: [
                "GatewayCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird glue: health, readiness, metrics, and the bridge from the push server.
        .target(
            name: "GatewayHTTP",
            dependencies: [
                "GatewayCore", "GatewayPush", "GatewayWebhooks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration and composition: one ServiceGroup.
        .target(
            name: "GatewayApp",
            dependencies: [
                "GatewayCore", "GatewayHTTP", "GatewayAuth", "GatewayPush", "GatewayWebhooks", "STOMPClient", "STOMPBroker",
                "STOMPCore",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `stomp-gateway demo`: the shop, its order pipeline and webhook receiver.
        .target(
            name: "GatewayDemo",
            dependencies: [
                "GatewayApp", "GatewayAuth", "GatewayWebhooks", "STOMPClient", "STOMPCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The thin executable.
        .executableTarget(
            name: "stomp-gateway",
            dependencies: [
                "GatewayApp", "GatewayAuth", "GatewayCore", "GatewayDemo", "GatewayPush", "GatewayWebhooks",
                "GatewayHTTP",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "STOMPClient",
                "STOMPBroker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "STOMPTestSupport",
            dependencies: [
                "STOMPCore", "STOMPClient", "STOMPBroker",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/STOMPTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "STOMPCoreTests",
            dependencies: [
                "STOMPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayAuthTests",
            dependencies: [
                "GatewayAuth", "GatewayCore", "STOMPTestSupport",
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayPushTests",
            dependencies: [
                "GatewayPush", "GatewayCore", "STOMPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayWebhooksTests",
            dependencies: [
                "GatewayWebhooks", "GatewayCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayCoreTests",
            dependencies: ["GatewayCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayAppTests",
            dependencies: [
                "GatewayApp", "GatewayHTTP", "STOMPTestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "STOMPBrokerTests",
            dependencies: [
                "STOMPBroker", "STOMPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "STOMPClientTests",
            dependencies: [
                "STOMPClient", "STOMPBroker", "STOMPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
