import Foundation
import NIOCore
import STOMPBroker
import STOMPClient
import STOMPCore

/// A broker the integration tests run against: the embedded one, or a real
/// RabbitMQ or ActiveMQ started by `scripts/brokers.sh`.
public enum BrokerKind: String, CaseIterable, Sendable {
    case embedded
    case rabbitMQ = "rabbitmq"
    case activeMQ = "activemq"

    /// The URL of an external broker, if the environment names one.
    public var externalURL: String? {
        switch self {
        case .embedded: nil
        case .rabbitMQ: TestEnvironment.value("STOMP_TEST_RABBITMQ_URL")
        case .activeMQ: TestEnvironment.value("STOMP_TEST_ACTIVEMQ_URL")
        }
    }

    /// Starts (embedded) or locates (external) the broker. Returns `nil` when an
    /// external broker is not configured and not required; throws when required.
    public func start(configure: (inout EmbeddedBrokerConfiguration) -> Void = { _ in }) async throws -> BrokerUnderTest? {
        switch self {
        case .embedded:
            var configuration = EmbeddedBrokerConfiguration(host: "127.0.0.1", port: 0)
            configure(&configuration)
            let broker = EmbeddedBroker(configuration: configuration)
            let address = try await broker.start()
            return BrokerUnderTest(kind: self, url: try STOMPBrokerURL("stomp://127.0.0.1:\(address.port!)"), embedded: broker)
        case .rabbitMQ, .activeMQ:
            guard let text = externalURL else {
                if TestEnvironment.requireBrokers {
                    throw TestEnvironmentError(
                        "\(rawValue) is required (STOMP_TEST_REQUIRE_BROKERS=1) but STOMP_TEST_\(rawValue.uppercased())_URL is not set"
                    )
                }
                print("note: \(rawValue) not configured; skipping its part of the test")
                return nil
            }
            return BrokerUnderTest(kind: self, url: try STOMPBrokerURL(text), embedded: nil)
        }
    }
}

/// A running broker for one test.
public final class BrokerUnderTest: Sendable {
    public let kind: BrokerKind
    public let url: STOMPBrokerURL
    private let embeddedBox: EmbeddedBrokerBox

    init(kind: BrokerKind, url: STOMPBrokerURL, embedded: EmbeddedBroker?) {
        self.kind = kind
        self.url = url
        self.embeddedBox = EmbeddedBrokerBox(embedded)
    }

    /// The embedded broker, when that is what runs.
    public var embedded: EmbeddedBroker? { embeddedBox.broker }

    /// A client configuration for this broker with test-friendly timeouts.
    public func clientConfiguration() -> STOMPClientConfiguration {
        var configuration = STOMPClientConfiguration(broker: url)
        configuration.connectTimeout = .seconds(5)
        configuration.receiptTimeout = .seconds(10)
        configuration.reconnect = STOMPReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        return configuration
    }

    /// Connects a client.
    public func connectClient(_ configure: (inout STOMPClientConfiguration) -> Void = { _ in }) async throws -> STOMPClient {
        var configuration = clientConfiguration()
        configure(&configuration)
        let client = try STOMPClient(configuration: configuration)
        try await client.connect()
        return client
    }

    /// Kills the broker (SIGKILL for external ones) and starts it again on the same port.
    public func killAndRestart(downFor pause: Duration = .milliseconds(500)) async throws {
        switch kind {
        case .embedded:
            guard let broker = embeddedBox.broker else { return }
            try await broker.stop()
            try await Task.sleep(for: pause)
            var configuration = broker.configuration
            configuration.port = url.port
            let restarted = EmbeddedBroker(configuration: configuration)
            try await restarted.start()
            embeddedBox.broker = restarted
        case .rabbitMQ, .activeMQ:
            let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/brokers.sh").path
            let killed = try await TestEnvironment.runInBackground("bash", [script, "kill", kind.rawValue])
            guard killed.status == 0 else { throw TestEnvironmentError("kill \(kind.rawValue) failed: \(killed.output)") }
            try await Task.sleep(for: pause)
            let started = try await TestEnvironment.runInBackground("bash", [script, "start", kind.rawValue])
            guard started.status == 0 else { throw TestEnvironmentError("restart \(kind.rawValue) failed: \(started.output)") }
        }
    }

    /// Stops an embedded broker.
    public func stop() async {
        try? await embeddedBox.broker?.stop()
    }
}

/// Holds the current embedded broker across a restart.
final class EmbeddedBrokerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _broker: EmbeddedBroker?

    init(_ broker: EmbeddedBroker?) { _broker = broker }

    var broker: EmbeddedBroker? {
        get { lock.withLock { _broker } }
        set { lock.withLock { _broker = newValue } }
    }
}
