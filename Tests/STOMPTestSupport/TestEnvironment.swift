import Foundation

/// What the test command tells the tests: which real brokers run, and where.
///
/// - `STOMP_TEST_RABBITMQ_URL`, `STOMP_TEST_ACTIVEMQ_URL`: brokers started by
///   `scripts/brokers.sh`.
/// - `STOMP_TEST_REQUIRE_BROKERS=1`: a broker that is not configured fails the test
///   instead of skipping it (the README test command sets it).
/// - `STOMP_TEST_DISRUPTIVE=1`: run tests that kill and restart brokers.
public enum TestEnvironment {
    public static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var requireBrokers: Bool { value("STOMP_TEST_REQUIRE_BROKERS") == "1" }
    public static var disruptive: Bool { value("STOMP_TEST_DISRUPTIVE") == "1" }

    /// The repository root, found from this file's path.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs a program to completion and returns its exit status and output.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A destination name unique to one test.
    public static func unique(_ prefix: String) -> String {
        "\(prefix)test-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// Thrown when a test needs something the environment does not provide.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
