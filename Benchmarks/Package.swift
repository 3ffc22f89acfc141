// swift-tools-version:6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder; the main package's folder is
// whatever the clone is called, so take it from this manifest's location.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

// Throughput and latency figures for stomp-gateway. A separate package so that the
// main package's build and tests never pay for it:
//
//   cd Benchmarks && swift build -c release
//   .build/release/stomp-bench codec
//   .build/release/stomp-bench broker --rabbitmq stomp://guest:guest@127.0.0.1:61613
//   bash bench_request_reply.sh            # gateway /api/request vs direct STOMP
let package = Package(
    name: "stomp-gateway-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .executableTarget(
            name: "stomp-bench",
            dependencies: [
                .product(name: "STOMPCore", package: mainPackage),
                .product(name: "STOMPClient", package: mainPackage),
                .product(name: "STOMPBroker", package: mainPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        )
    ]
)
