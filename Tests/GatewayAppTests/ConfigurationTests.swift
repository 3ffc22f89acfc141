import Foundation
import GatewayApp
import Logging
import STOMPBroker
import STOMPClient
import STOMPCore
import Testing

/// Temporary YAML files for the configuration tests, and the repository's own files.
enum ConfigurationTestFiles {
    /// Writes `text` to a new file in the temporary directory and returns its path.
    static func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("stomp-gateway-config-\(UUID().uuidString).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Loads `yaml` (written to a temporary file) with `environment` over it.
    static func load(yaml: String, environment: [String: String] = [:]) async throws -> GatewayConfiguration {
        let path = try write(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await GatewayConfiguration.load(filePath: path, environment: environment)
    }

    /// The error that loading `yaml` (and `environment`) throws, or `nil`.
    static func error(yaml: String? = nil, environment: [String: String] = [:]) async throws -> GatewayConfigurationError? {
        let path = try yaml.map(write)
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        do {
            _ = try await GatewayConfiguration.load(filePath: path, environment: environment)
            return nil
        } catch let error as GatewayConfigurationError {
            return error
        }
    }

    /// A file of the repository, by its path from the root.
    static func repositoryPath(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(relative).path
    }
}

@Suite("Configuration: loading")
struct ConfigurationTests {
    @Test("no file and no environment gives the documented defaults")
    func defaults() async throws {
        let configuration = try await GatewayConfiguration.load(filePath: nil, environment: [:])
        #expect(configuration == GatewayConfiguration())
        #expect(configuration.http.host == "127.0.0.1")
        #expect(configuration.http.port == 8080)
        #expect(configuration.broker.urls.isEmpty)
        #expect(configuration.usesEmbeddedBroker)
        #expect(configuration.clientConfiguration() == nil)
        #expect(configuration.embedded.host == "127.0.0.1")
        #expect(configuration.embedded.port == 61613)
        #expect(configuration.embedded.login == nil && configuration.embedded.passcode == nil)
        #expect(configuration.embedded.maxConnections == 10_000)
        #expect(configuration.embedded.maxQueueMessages == 100_000)
        #expect(configuration.embedded.maxQueueBytes == 67_108_864)
        #expect(configuration.embedded.queueOverflow == .rejectPublish)
        #expect(configuration.embedded.maxSubscriptionsPerConnection == 1_000)
        #expect(configuration.logLevel == .info)
    }

    @Test("the embedded defaults are the broker's own")
    func embeddedDefaultsMatchTheBroker() {
        let mapped = GatewayConfiguration().embeddedBrokerConfiguration()
        let broker = EmbeddedBrokerConfiguration()
        #expect(mapped.host == broker.host)
        #expect(mapped.port == broker.port)
        #expect(mapped.credentials == nil)
        #expect(mapped.maxConnections == broker.maxConnections)
        #expect(mapped.maxQueueMessages == broker.maxQueueMessages)
        #expect(mapped.maxQueueBytes == broker.maxQueueBytes)
        #expect(mapped.queueOverflowPolicy == broker.queueOverflowPolicy)
        #expect(mapped.maxSubscriptionsPerConnection == broker.maxSubscriptionsPerConnection)
    }

    @Test("a YAML file sets every value")
    func fileSetsValues() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: """
                http:
                  host: 0.0.0.0
                  port: 9090
                embedded:
                  host: 127.0.0.2
                  port: 0
                  login: gateway
                  passcode: s3cret
                  max_connections: 50
                  max_queue_messages: 1_000
                  max_queue_bytes: 2MiB
                  queue_overflow: drop-oldest
                  max_subscriptions_per_connection: 7
                log:
                  level: debug
                """
        )
        #expect(configuration.http == .init(host: "0.0.0.0", port: 9090))
        #expect(configuration.embedded.host == "127.0.0.2")
        #expect(configuration.embedded.port == 0)
        #expect(configuration.embedded.login == "gateway")
        #expect(configuration.embedded.passcode == "s3cret")
        #expect(configuration.embedded.maxConnections == 50)
        #expect(configuration.embedded.maxQueueMessages == 1_000)
        #expect(configuration.embedded.maxQueueBytes == 2 * 1024 * 1024)
        #expect(configuration.embedded.queueOverflow == .dropOldest)
        #expect(configuration.embedded.maxSubscriptionsPerConnection == 7)
        #expect(configuration.logLevel == .debug)

        let broker = configuration.embeddedBrokerConfiguration()
        #expect(broker.host == "127.0.0.2")
        #expect(broker.port == 0)
        #expect(broker.credentials?.login == "gateway")
        #expect(broker.credentials?.passcode == "s3cret")
        #expect(broker.maxConnections == 50)
        #expect(broker.maxQueueMessages == 1_000)
        #expect(broker.maxQueueBytes == 2 * 1024 * 1024)
        #expect(broker.queueOverflowPolicy == .dropOldest)
        #expect(broker.maxSubscriptionsPerConnection == 7)
    }

    @Test("dotted keys at the top level of the file work like nested ones")
    func dottedKeysInFile() async throws {
        let configuration = try await ConfigurationTestFiles.load(yaml: "http.port: 9191\nlog.level: warning\n")
        #expect(configuration.http.port == 9191)
        #expect(configuration.logLevel == .warning)
    }

    @Test("environment variables override the file")
    func environmentOverridesFile() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: """
                http:
                  host: 0.0.0.0
                  port: 9090
                log:
                  level: debug
                """,
            environment: ["STOMP_GATEWAY_HTTP_PORT": "9999", "STOMP_GATEWAY_LOG_LEVEL": "error"]
        )
        #expect(configuration.http.host == "0.0.0.0")
        #expect(configuration.http.port == 9999)
        #expect(configuration.logLevel == .error)
    }

    @Test("an empty environment variable counts as unset: the file's value applies")
    func emptyVariableIsUnset() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: "http:\n  port: 9090\n",
            environment: ["STOMP_GATEWAY_HTTP_PORT": ""]
        )
        #expect(configuration.http.port == 9090)
    }

    @Test("variables without the STOMP_GATEWAY_ prefix are not read")
    func otherVariablesIgnored() async throws {
        let configuration = try await GatewayConfiguration.load(
            filePath: nil,
            environment: ["HTTP_PORT": "1", "PATH": "/usr/bin", "LOG_LEVEL": "trace"]
        )
        #expect(configuration == GatewayConfiguration())
    }

    @Test("every key is read from its documented environment variable")
    func everyKeyFromItsVariable() async throws {
        #expect(GatewayConfigurationKey.httpPort.environmentVariable == "STOMP_GATEWAY_HTTP_PORT")
        #expect(
            GatewayConfigurationKey.embeddedMaxSubscriptionsPerConnection.environmentVariable
                == "STOMP_GATEWAY_EMBEDDED_MAX_SUBSCRIPTIONS_PER_CONNECTION"
        )
        let samples: [GatewayConfigurationKey: String] = [
            .httpHost: "0.0.0.0", .httpPort: "9090",
            .brokerURLs: "stomp://a.example:1,stomp://b.example:2", .brokerLogin: "user", .brokerPasscode: "pw",
            .brokerVirtualHost: "/shop", .brokerHeartbeatMilliseconds: "0",
            .embeddedHost: "10.0.0.1", .embeddedPort: "61000", .embeddedLogin: "gw", .embeddedPasscode: "secret",
            .embeddedMaxConnections: "5", .embeddedMaxQueueMessages: "6", .embeddedMaxQueueBytes: "7",
            .embeddedQueueOverflow: "drop-oldest", .embeddedMaxSubscriptionsPerConnection: "8",
            .logLevel: "critical",
            .httpAllowedOrigins: "https://shop.example,https://admin.example", .httpMaxConnections: "11",
            .httpMaxConnectionsPerIP: "12", .httpMaxSubscriptionsPerConnection: "13", .httpMaxFrameBytes: "14KiB",
            .httpMaxRequestBodyBytes: "15", .httpHandshakeTimeoutSeconds: "2.5", .httpIdleTimeoutSeconds: "16",
            .httpSendQueueBytes: "17", .httpFlushDelayMicroseconds: "2000", .httpTLSCertificateFile: "/etc/gw/cert.pem",
            .httpTLSKeyFile: "/etc/gw/key.pem",
            .sseHeartbeatSeconds: "5", .sseRetryMilliseconds: "1500", .stompHeartbeatSendMilliseconds: "0",
            .stompHeartbeatReceiveMilliseconds: "20000", .historyMaxMessages: "18", .historyMaxBytes: "19",
            .historyMaxAgeSeconds: "20", .historyInitialReplay: "0", .historyMaxDestinations: "21",
            .feedsRetain: "/topic/orders.*", .feedsUpstreamGraceSeconds: "22", .slowConsumerDefault: "disconnect",
            .slowConsumerDisconnect: "/topic/audit.**", .authHMACSecret: "0123456789abcdef0123456789abcdef",
            .authHMACSecretFile: "", .authPublicKeyFiles: "/etc/gw/rsa.pub", .authJWKSFile: "/etc/gw/jwks.json",
            .authAlgorithms: "HS256,RS256", .authAudience: "shop", .authIssuer: "https://shop.example",
            .authLeewaySeconds: "5", .authPublicSubscribe: "/topic/public.**", .authPublicPublish: "/queue/feedback",
            .authCookie: "gw_token", .apiKeys: "key-one-0123456789,key-two-0123456789", .apiDefaultTimeoutSeconds: "3",
            .httpWebDir: "off", .feedsStream: "gw.feeds", .webhooksClientID: "gw-hooks", .webhooksDrainSeconds: "4",
            .adminKeys: "admin-key-0123456789", .diagnosticsWebSocketEcho: "true",
        ]
        #expect(Set(samples.keys) == Set(GatewayConfigurationKey.all))
        var environment: [String: String] = [:]
        for (key, value) in samples { environment[key.environmentVariable] = value }
        let configuration = try await GatewayConfiguration.load(filePath: nil, environment: environment)

        var expected = GatewayConfiguration()
        expected.http = .init(host: "0.0.0.0", port: 9090)
        expected.broker = .init(
            urls: [try STOMPBrokerURL("stomp://a.example:1"), try STOMPBrokerURL("stomp://b.example:2")],
            login: "user",
            passcode: "pw",
            virtualHost: "/shop"
        )
        expected.broker.heartbeatMilliseconds = 0
        expected.embedded.host = "10.0.0.1"
        expected.embedded.port = 61000
        expected.embedded.login = "gw"
        expected.embedded.passcode = "secret"
        expected.embedded.maxConnections = 5
        expected.embedded.maxQueueMessages = 6
        expected.embedded.maxQueueBytes = 7
        expected.embedded.queueOverflow = .dropOldest
        expected.embedded.maxSubscriptionsPerConnection = 8
        expected.logLevel = .critical
        expected.push.allowedOrigins = ["https://shop.example", "https://admin.example"]
        expected.push.maxConnections = 11
        expected.push.maxConnectionsPerIP = 12
        expected.push.maxSubscriptionsPerConnection = 13
        expected.push.maxFrameBytes = 14 * 1024
        expected.push.diagnosticsWebSocketEcho = true
        expected.push.maxRequestBodyBytes = 15
        expected.push.handshakeTimeoutSeconds = 2.5
        expected.push.idleTimeoutSeconds = 16
        expected.push.sendQueueBytes = 17
        expected.push.flushDelayMicroseconds = 2000
        expected.push.tlsCertificateFile = "/etc/gw/cert.pem"
        expected.push.tlsKeyFile = "/etc/gw/key.pem"
        expected.push.sseHeartbeatSeconds = 5
        expected.push.sseRetryMilliseconds = 1500
        expected.push.stompHeartbeatSendMilliseconds = 0
        expected.push.stompHeartbeatReceiveMilliseconds = 20000
        expected.push.historyMaxMessages = 18
        expected.push.historyMaxBytes = 19
        expected.push.historyMaxAgeSeconds = 20
        expected.push.historyInitialReplay = 0
        expected.http.webDirectory = nil
        expected.push.stream = "gw.feeds"
        expected.webhooks.clientID = "gw-hooks"
        expected.webhooks.drainSeconds = 4
        expected.webhooks.adminKeys = ["admin-key-0123456789"]
        expected.push.historyMaxDestinations = 21
        expected.push.retain = ["/topic/orders.*"]
        expected.push.upstreamGraceSeconds = 22
        expected.push.slowConsumerDefault = .disconnect
        expected.push.slowConsumerDisconnect = ["/topic/audit.**"]
        expected.auth.hmacSecret = "0123456789abcdef0123456789abcdef"
        expected.auth.publicKeyFiles = ["/etc/gw/rsa.pub"]
        expected.auth.jwksFile = "/etc/gw/jwks.json"
        expected.auth.algorithms = ["HS256", "RS256"]
        expected.auth.audience = "shop"
        expected.auth.issuer = "https://shop.example"
        expected.auth.leewaySeconds = 5
        expected.auth.publicSubscribe = ["/topic/public.**"]
        expected.auth.publicPublish = ["/queue/feedback"]
        expected.auth.cookie = "gw_token"
        expected.auth.apiKeys = ["key-one-0123456789", "key-two-0123456789"]
        expected.auth.apiDefaultTimeoutSeconds = 3
        #expect(configuration == expected)
    }

    @Test("broker URLs: a YAML list, a comma-separated string, or a variable")
    func brokerURLLists() async throws {
        let fromList = try await ConfigurationTestFiles.load(
            yaml: """
                broker:
                  urls:
                    - stomp://guest:guest@broker-a:61613?host=/
                    - stomp+ssl://broker-b
                  login: gateway
                  passcode: pw
                  vhost: shop
                  heartbeat_ms: 2000
                """
        )
        #expect(fromList.broker.urls.map(\.host) == ["broker-a", "broker-b"])
        #expect(fromList.broker.urls.map(\.port) == [61613, 61614])
        #expect(fromList.broker.urls.map(\.useTLS) == [false, true])
        #expect(fromList.broker.urls[0].login == "guest")
        #expect(fromList.broker.urls[0].virtualHost == "/")
        #expect(!fromList.usesEmbeddedBroker)
        let client = try #require(fromList.clientConfiguration())
        #expect(client.brokers == fromList.broker.urls)
        #expect(client.login == "gateway")
        #expect(client.passcode == "pw")
        #expect(client.virtualHost == "shop")
        #expect(client.heartBeat == STOMPHeartBeat(outgoing: 2000, incoming: 2000))
        let defaultClient = try #require(try await ConfigurationTestFiles.load(yaml: "broker:\n  urls: stomp://a:1\n").clientConfiguration())
        #expect(defaultClient.heartBeat == STOMPHeartBeat(outgoing: 10_000, incoming: 10_000))

        let fromString = try await ConfigurationTestFiles.load(yaml: "broker:\n  urls: stomp://a:1, stomp://b:2\n")
        #expect(fromString.broker.urls == [try STOMPBrokerURL("stomp://a:1"), try STOMPBrokerURL("stomp://b:2")])

        let fromVariable = try await ConfigurationTestFiles.load(
            yaml: "broker:\n  urls: [stomp://file:1]\n",
            environment: ["STOMP_GATEWAY_BROKER_URLS": "stomp://env-a:1 , stomp://env-b:2"]
        )
        #expect(fromVariable.broker.urls.map(\.host) == ["env-a", "env-b"])

        let empty = try await ConfigurationTestFiles.load(yaml: "broker:\n  urls: []\n")
        #expect(empty.usesEmbeddedBroker)
        #expect(empty.clientConfiguration() == nil)
    }

    @Test("an empty file, or one of comments only, gives the defaults")
    func emptyFile() async throws {
        #expect(try await ConfigurationTestFiles.load(yaml: "") == GatewayConfiguration())
        #expect(try await ConfigurationTestFiles.load(yaml: "# nothing yet\n\n---\n") == GatewayConfiguration())
    }

    @Test("a section with every setting commented out, and null values, are unset")
    func emptySectionsAndNulls() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: """
                http:
                  port: 9000
                embedded:
                  # port: 61614
                broker:
                  login: ~
                  vhost:
                """
        )
        #expect(configuration.http.port == 9000)
        #expect(configuration.embedded == .init())
        #expect(configuration.broker.login == nil)
        #expect(configuration.broker.virtualHost == nil)
    }

    @Test("the redacted description lists every key and hides secrets")
    func redactedDescription() async throws {
        let configuration = try await ConfigurationTestFiles.load(
            yaml: """
                broker:
                  urls: [stomp://user:url-secret@broker:61613]
                  passcode: broker-secret
                embedded:
                  login: gw
                  passcode: embedded-secret
                """
        )
        let text = configuration.redactedDescription
        for key in GatewayConfigurationKey.all {
            #expect(text.contains("\(key.name): "), "missing \(key.name)")
        }
        #expect(!text.contains("url-secret"))
        #expect(!text.contains("broker-secret"))
        #expect(!text.contains("embedded-secret"))
        #expect(text.contains("broker.passcode: <redacted>"))
        #expect(text.contains("embedded.passcode: <redacted>"))
        #expect(text.contains("embedded.login: gw"))
        #expect(text.contains("broker.urls: stomp://user@broker:61613"))
        #expect(GatewayConfiguration().redactedDescription.contains("broker.passcode: (not set)"))
    }

    @Test("the example file in deploy/ loads without errors")
    func exampleFileLoads() async throws {
        let path = ConfigurationTestFiles.repositoryPath("deploy/stomp-gateway.example.yaml")
        let configuration = try await GatewayConfiguration.load(filePath: path, environment: [:])
        #expect(configuration.usesEmbeddedBroker)
        #expect(configuration.http.port == 8080)
    }

    @Test("docs/CONFIGURATION.md names every key and its environment variable")
    func documentationCoversEveryKey() throws {
        let path = ConfigurationTestFiles.repositoryPath("docs/CONFIGURATION.md")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in GatewayConfigurationKey.all {
            #expect(text.contains("`\(key.name)`"), "docs/CONFIGURATION.md does not name \(key.name)")
            #expect(text.contains("`\(key.environmentVariable)`"), "docs/CONFIGURATION.md does not name \(key.environmentVariable)")
        }
    }
}
