import Foundation
import STOMPCore
import STOMPTestSupport
import Testing

/// The embedded broker with real third-party STOMP clients on both ends: stomp.py
/// (PyPI) and ruby-stomp (Debian), driven by `scripts/interop/*`.
///
/// When `ruby` with the stomp gem or `python3` with stomp.py is missing, the suite is
/// skipped with a note; with `STOMP_TEST_REQUIRE_BROKERS=1` it runs and fails instead.
@Suite("Embedded broker: interoperability with stomp.py and ruby-stomp", .timeLimit(.minutes(2)), .enabled(if: InteropTools.shouldRun))
struct InteropTests {
    @Test("ruby-stomp publishes to a queue, stomp.py consumes: exact bodies, in order")
    func rubyToPython() async throws {
        try InteropTools.requireAvailable()
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/interop-rb-py-")
            let publisher = try ClientScript(.ruby, "publish", queue, "5", port: port)
            let published = await publisher.finish()
            #expect(published.status == 0, "ruby publish failed: \(published.stderr)")

            let consumer = try ClientScript(.python, "consume", queue, "5", port: port)
            let consumed = await consumer.finish()
            #expect(consumed.status == 0, "python consume failed: \(consumed.stderr)")
            #expect(consumed.lines == (1...5).map { "ruby message \($0) ✓" })
        }
    }

    @Test("stomp.py publishes to a queue, ruby-stomp consumes: exact bodies, in order")
    func pythonToRuby() async throws {
        try InteropTools.requireAvailable()
        try await withEmbeddedBroker { _, port in
            let queue = TestEnvironment.unique("/queue/interop-py-rb-")
            // The consumer comes first this time, so delivery is live rather than from the queue.
            let consumer = try ClientScript(.ruby, "consume", queue, "5", port: port)
            try await consumer.waitForReady()
            let publisher = try ClientScript(.python, "publish", queue, "5", port: port)
            let published = await publisher.finish()
            #expect(published.status == 0, "python publish failed: \(published.stderr)")

            let consumed = await consumer.finish()
            #expect(consumed.status == 0, "ruby consume failed: \(consumed.stderr)")
            #expect(consumed.lines == (1...5).map { "python message \($0) ✓" })
        }
    }

    @Test("a topic message from ruby-stomp reaches stomp.py, ruby-stomp and a raw Swift subscriber")
    func topicFanOut() async throws {
        try InteropTools.requireAvailable()
        try await withEmbeddedBroker { _, port in
            let topic = TestEnvironment.unique("/topic/interop-")
            let python = try ClientScript(.python, "consume", topic, "3", port: port)
            let ruby = try ClientScript(.ruby, "consume", topic, "3", port: port)
            let swift = try await WireConnection.connected(port: port)
            try await swift.subscribe(topic)
            try await python.waitForReady()
            try await ruby.waitForReady()

            let publisher = try ClientScript(.ruby, "publish", topic, "3", port: port)
            let published = await publisher.finish()
            #expect(published.status == 0, "ruby publish failed: \(published.stderr)")

            let expected = (1...3).map { "ruby message \($0) ✓" }
            let pythonResult = await python.finish()
            #expect(pythonResult.status == 0, "python consume failed: \(pythonResult.stderr)")
            #expect(pythonResult.lines == expected)
            let rubyResult = await ruby.finish()
            #expect(rubyResult.status == 0, "ruby consume failed: \(rubyResult.stderr)")
            #expect(rubyResult.lines == expected)
            let frame = try #require(await swift.nextFrame { $0.command == .message })
            #expect(frame.headers[STOMPHeaderName.contentType]?.hasPrefix("text/plain") == true)
            #expect([frame.bodyString] + (await swift.messageBodies(2)) == expected)
            await swift.close()
        }
    }
}

/// Whether the third-party clients are installed.
enum InteropTools {
    static let missing: [String] = {
        var missing: [String] = []
        if (try? TestEnvironment.run("ruby", ["-e", "require 'stomp'"]))?.status != 0 {
            missing.append("ruby with the stomp gem (Debian ruby-stomp)")
        }
        if (try? TestEnvironment.run("python3", ["-c", "import stomp"]))?.status != 0 {
            missing.append("python3 with stomp.py (pip install stomp.py)")
        }
        return missing
    }()

    /// Run when the tools are there, or when they are required (to fail loudly).
    static let shouldRun: Bool = {
        if missing.isEmpty || TestEnvironment.requireBrokers { return true }
        print("note: skipping the interoperability tests: missing \(missing.joined(separator: ", "))")
        return false
    }()

    static func requireAvailable() throws {
        guard missing.isEmpty else {
            throw TestEnvironmentError("STOMP_TEST_REQUIRE_BROKERS=1 but missing \(missing.joined(separator: ", "))")
        }
    }
}

/// One run of `scripts/interop/ruby_client.rb` or `stomppy_client.py` against the
/// broker on `port`, its output collected as it comes.
final class ClientScript: @unchecked Sendable {
    enum Language {
        case ruby
        case python

        var interpreter: String { self == .ruby ? "ruby" : "python3" }
        var script: String { self == .ruby ? "ruby_client.rb" : "stomppy_client.py" }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Non-empty lines of standard output.
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    private let process = Process()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var openStreams = 2
    private let name: String

    /// Starts the script with `arguments` (mode, destination, count).
    init(_ language: Language, _ arguments: String..., port: Int, timeout: Int = 20) throws {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/\(language.script)").path
        name = "\(language.script) \(arguments.joined(separator: " "))"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [language.interpreter, script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["STOMP_HOST"] = "127.0.0.1"
        environment["STOMP_PORT"] = String(port)
        environment["STOMP_TIMEOUT"] = String(timeout)
        environment["PYTHONUNBUFFERED"] = "1"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.received(data, onStandardError: false)
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.received(data, onStandardError: true)
        }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    private func received(_ data: Data, onStandardError: Bool) {
        lock.withLock {
            if data.isEmpty {
                openStreams -= 1
            } else if onStandardError {
                stderrData.append(data)
            } else {
                stdoutData.append(data)
            }
        }
    }

    private var stderr: String { lock.withLock { String(decoding: stderrData, as: UTF8.self) } }
    private var stdout: String { lock.withLock { String(decoding: stdoutData, as: UTF8.self) } }

    /// Waits until the script printed READY on standard error (it has subscribed).
    func waitForReady(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !stderr.split(separator: "\n").contains("READY") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let result = await finish(timeout: .seconds(1))
                throw TestEnvironmentError("\(name) never became ready (status \(result.status)): \(result.stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the script to exit (terminating it after `timeout`) and returns what it printed.
    func finish(timeout: Duration = .seconds(40)) async -> Result {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            process.terminate()
            let grace = ContinuousClock.now + .seconds(5)
            while process.isRunning && ContinuousClock.now < grace { try? await Task.sleep(for: .milliseconds(20)) }
        }
        // Let the pipe handlers drain what the process wrote last, up to end of file.
        let drained = ContinuousClock.now + .seconds(2)
        while lock.withLock({ openStreams > 0 }) && ContinuousClock.now < drained { try? await Task.sleep(for: .milliseconds(10)) }
        let status = process.isRunning ? -1 : process.terminationStatus
        return Result(status: status, stdout: stdout, stderr: stderr)
    }
}
