// swift-tools-version:6.1
// libFuzzer targets for stomp-gateway. A package of its own, so that `swift test` at the
// root never builds it; scripts/fuzz.sh builds and runs it.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the clone was called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: swiftSettings)
}

let package = Package(
    name: "stomp-gateway-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.0.0"..<"5.0.0"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver (not instrumented: no -Xcc flags).
        .target(name: "CFuzzDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CFuzzDriver", .product(name: "STOMPCore", package: root)],
            swiftSettings: swiftSettings
        ),
        fuzzTarget(
            "FuzzSTOMPParser",
            [
                .product(name: "STOMPCore", package: root), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        fuzzTarget(
            "FuzzSTOMPRoundTrip",
            [.product(name: "STOMPCore", package: root), .product(name: "NIOCore", package: "swift-nio")]
        ),
        fuzzTarget(
            "FuzzBrowserSTOMP",
            [
                .product(name: "GatewayPush", package: root), .product(name: "GatewayCore", package: root),
                .product(name: "STOMPCore", package: root), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        fuzzTarget(
            "FuzzSSEResume",
            [.product(name: "GatewayPush", package: root), .product(name: "GatewayCore", package: root)]
        ),
        fuzzTarget(
            "FuzzToken",
            [
                .product(name: "GatewayAuth", package: root), .product(name: "GatewayCore", package: root),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        fuzzTarget("FuzzDestinationPattern", [.product(name: "GatewayCore", package: root)]),
    ]
)
