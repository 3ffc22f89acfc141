import Foundation

#if canImport(Glibc)
import Glibc
#endif

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

    /// Runs a program to completion (blocking) and returns its exit status and output.
    ///
    /// Uses `posix_spawn` and `waitpid` directly: Foundation's `Process.waitUntilExit()`
    /// was seen never to return here once the program had started a daemon (a broker).
    /// Output goes to a file, not a pipe, because such a daemon keeps inherited
    /// descriptors open and a pipe would never reach end-of-file.
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> (
        status: Int32, output: String
    ) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("stomp-test-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestEnvironmentError("could not start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, output)
    }

    /// Runs a program on a thread of its own, so a slow one (a broker restart, a ruby-stomp
    /// service) does not hold one of the few threads of Swift's cooperative pool: with two
    /// cores and tests run in parallel, two blocked threads stall every other test.
    public static func runInBackground(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment) })
            }.start()
        }
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
