import Logging
import STOMPBroker
import STOMPClient
import STOMPCore

/// The gateway's settings: read once at start by ``load(filePath:environment:)`` from a
/// YAML file and `STOMP_GATEWAY_*` environment variables, or built in code (tests).
///
/// Precedence: an environment variable overrides the file, the file overrides the default.
/// Every key (the full table, with types, is in `docs/CONFIGURATION.md`):
///
/// | key | environment variable | default |
/// |---|---|---|
/// | `http.host` | `STOMP_GATEWAY_HTTP_HOST` | `127.0.0.1` |
/// | `http.port` | `STOMP_GATEWAY_HTTP_PORT` | `8080` |
/// | `broker.urls` | `STOMP_GATEWAY_BROKER_URLS` | none: run the embedded broker |
/// | `broker.login` | `STOMP_GATEWAY_BROKER_LOGIN` | the URL's |
/// | `broker.passcode` (secret) | `STOMP_GATEWAY_BROKER_PASSCODE` | the URL's |
/// | `broker.vhost` | `STOMP_GATEWAY_BROKER_VHOST` | the URL's `?host=`, else `/` |
/// | `broker.heartbeat_ms` | `STOMP_GATEWAY_BROKER_HEARTBEAT_MS` | `10000` |
/// | `embedded.host` | `STOMP_GATEWAY_EMBEDDED_HOST` | `127.0.0.1` |
/// | `embedded.port` | `STOMP_GATEWAY_EMBEDDED_PORT` | `61613` |
/// | `embedded.login` | `STOMP_GATEWAY_EMBEDDED_LOGIN` | none: accept any client |
/// | `embedded.passcode` (secret) | `STOMP_GATEWAY_EMBEDDED_PASSCODE` | none |
/// | `embedded.max_connections` | `STOMP_GATEWAY_EMBEDDED_MAX_CONNECTIONS` | `10000` |
/// | `embedded.max_queue_messages` | `STOMP_GATEWAY_EMBEDDED_MAX_QUEUE_MESSAGES` | `100000` |
/// | `embedded.max_queue_bytes` | `STOMP_GATEWAY_EMBEDDED_MAX_QUEUE_BYTES` | `67108864` (64 MiB) |
/// | `embedded.queue_overflow` | `STOMP_GATEWAY_EMBEDDED_QUEUE_OVERFLOW` | `reject-publish` |
/// | `embedded.max_subscriptions_per_connection` | `STOMP_GATEWAY_EMBEDDED_MAX_SUBSCRIPTIONS_PER_CONNECTION` | `1000` |
/// | `log.level` | `STOMP_GATEWAY_LOG_LEVEL` | `info` |
///
/// ```swift
/// let configuration = try await GatewayConfiguration.load(filePath: "/etc/stomp-gateway.yaml")
/// if let client = configuration.clientConfiguration() {
///     // connect to the shop's broker with `client`
/// } else {
///     let broker = EmbeddedBroker(configuration: configuration.embeddedBrokerConfiguration(), logger: logger)
/// }
/// ```
public struct GatewayConfiguration: Sendable, Equatable {
    /// The HTTP server (`http.*`).
    public var http = HTTP()
    /// The external broker (`broker.*`); with no URLs, the embedded broker runs instead.
    public var broker = Broker()
    /// The embedded broker (`embedded.*`), used when ``Broker/urls`` is empty.
    public var embedded = Embedded()
    /// The browser transports (`http.*` limits, `sse.*`, `stomp.*`, `history.*`, `feeds.*`, `slow_consumer.*`).
    public var push = Push()
    /// Tokens and public access (`auth.*`).
    public var auth = Auth()
    /// Webhook routes (`webhooks.*`) and the admin API keys (`admin.keys`).
    public var webhooks = Webhooks()
    /// The least severe log level written (`log.level`). Default `info`.
    public var logLevel: Logger.Level = .info

    /// Creates a configuration with every default.
    public init() {}

    /// Whether the gateway runs the embedded broker: true when ``Broker/urls`` is empty.
    public var usesEmbeddedBroker: Bool { broker.urls.isEmpty }

    /// The embedded broker's settings: ``embedded`` over the broker's own defaults
    /// (heart-beats, parser limits, timeouts, prefetch stay at theirs).
    public func embeddedBrokerConfiguration() -> EmbeddedBrokerConfiguration {
        var configuration = EmbeddedBrokerConfiguration(host: embedded.host, port: embedded.port)
        if let login = embedded.login, let passcode = embedded.passcode {
            configuration.credentials = (login, passcode)
        }
        configuration.maxConnections = embedded.maxConnections
        configuration.maxQueueMessages = embedded.maxQueueMessages
        configuration.maxQueueBytes = embedded.maxQueueBytes
        configuration.queueOverflowPolicy = embedded.queueOverflow
        configuration.maxSubscriptionsPerConnection = embedded.maxSubscriptionsPerConnection
        return configuration
    }

    /// The STOMP client's settings for the external broker list, or `nil` when
    /// ``Broker/urls`` is empty and the embedded broker runs instead.
    public func clientConfiguration() -> STOMPClientConfiguration? {
        guard !broker.urls.isEmpty else { return nil }
        var configuration = STOMPClientConfiguration(brokers: broker.urls)
        configuration.login = broker.login
        configuration.passcode = broker.passcode
        configuration.virtualHost = broker.virtualHost
        let heartbeat = broker.heartbeatMilliseconds
        configuration.heartBeat = STOMPHeartBeat(outgoing: heartbeat, incoming: heartbeat)
        return configuration
    }

    /// The effective settings, one `key: value` line per key in documentation order,
    /// with secrets shown as `<redacted>` (broker URLs are printed without their passcode).
    public var redactedDescription: String {
        GatewayConfigurationKey.all.map { "\($0.name): \(displayValue(of: $0))" }.joined(separator: "\n")
    }

    private var pushDisplayValues: [String: String] {
        func list(_ items: [String]) -> String { items.isEmpty ? "(none)" : items.joined(separator: ", ") }
        func optional(_ value: String?) -> String { value ?? "(not set)" }
        return [
            "http.allowed_origins": push.allowedOrigins.isEmpty ? "(none: same origin, or no Origin header)" : list(push.allowedOrigins),
            "http.max_connections": String(push.maxConnections),
            "http.max_connections_per_ip": String(push.maxConnectionsPerIP),
            "http.max_subscriptions_per_connection": String(push.maxSubscriptionsPerConnection),
            "http.max_frame_bytes": String(push.maxFrameBytes),
            "http.max_request_body_bytes": String(push.maxRequestBodyBytes),
            "http.handshake_timeout_seconds": String(push.handshakeTimeoutSeconds),
            "http.idle_timeout_seconds": String(push.idleTimeoutSeconds),
            "http.send_queue_bytes": String(push.sendQueueBytes),
            "http.flush_delay_microseconds": String(push.flushDelayMicroseconds),
            "http.tls_certificate_file": optional(push.tlsCertificateFile),
            "http.tls_key_file": optional(push.tlsKeyFile),
            "sse.heartbeat_seconds": String(push.sseHeartbeatSeconds),
            "sse.retry_ms": String(push.sseRetryMilliseconds),
            "stomp.heartbeat_send_ms": String(push.stompHeartbeatSendMilliseconds),
            "stomp.heartbeat_receive_ms": String(push.stompHeartbeatReceiveMilliseconds),
            "history.max_messages": String(push.historyMaxMessages),
            "history.max_bytes": String(push.historyMaxBytes),
            "history.max_age_seconds": String(push.historyMaxAgeSeconds),
            "history.initial_replay": String(push.historyInitialReplay),
            "history.max_destinations": String(push.historyMaxDestinations),
            "feeds.retain": list(push.retain),
            "feeds.upstream_grace_seconds": String(push.upstreamGraceSeconds),
            "slow_consumer.default": push.slowConsumerDefault.rawValue,
            "slow_consumer.disconnect": list(push.slowConsumerDisconnect),
            "auth.hmac_secret_file": optional(auth.hmacSecretFile),
            "auth.public_key_files": list(auth.publicKeyFiles),
            "auth.jwks_file": optional(auth.jwksFile),
            "auth.algorithms": auth.algorithms.isEmpty ? "(every algorithm the keys verify)" : list(auth.algorithms),
            "auth.audience": optional(auth.audience),
            "auth.issuer": optional(auth.issuer),
            "auth.leeway_seconds": String(auth.leewaySeconds),
            "auth.public_subscribe": list(auth.publicSubscribe),
            "auth.public_publish": list(auth.publicPublish),
            "auth.cookie": auth.cookie,
            "api.default_timeout_seconds": String(auth.apiDefaultTimeoutSeconds),
            "diagnostics.websocket_echo": String(push.diagnosticsWebSocketEcho),
        ]
    }

    private func displayValue(of key: GatewayConfigurationKey) -> String {
        func optional(_ value: String?) -> String { value ?? "(not set)" }
        func secret(_ value: String?) -> String { value == nil ? "(not set)" : "<redacted>" }
        switch key {
        case .httpHost: return http.host
        case .httpPort: return String(http.port)
        case .brokerURLs:
            return broker.urls.isEmpty ? "(none: the embedded broker runs)" : broker.urls.map(\.description).joined(separator: ", ")
        case .brokerLogin: return optional(broker.login)
        case .brokerPasscode: return secret(broker.passcode)
        case .brokerVirtualHost: return optional(broker.virtualHost)
        case .brokerHeartbeatMilliseconds: return String(broker.heartbeatMilliseconds)
        case .embeddedHost: return embedded.host
        case .embeddedPort: return String(embedded.port)
        case .embeddedLogin: return optional(embedded.login)
        case .embeddedPasscode: return secret(embedded.passcode)
        case .embeddedMaxConnections: return String(embedded.maxConnections)
        case .embeddedMaxQueueMessages: return String(embedded.maxQueueMessages)
        case .embeddedMaxQueueBytes: return String(embedded.maxQueueBytes)
        case .embeddedQueueOverflow: return embedded.queueOverflow.rawValue
        case .embeddedMaxSubscriptionsPerConnection: return String(embedded.maxSubscriptionsPerConnection)
        case .logLevel: return logLevel.rawValue
        case .httpWebDir: return http.webDirectory ?? "off"
        case .feedsStream: return push.stream ?? "(none: history in this process)"
        case .webhooksClientID: return webhooks.clientID
        case .webhooksDrainSeconds: return String(webhooks.drainSeconds)
        case .adminKeys: return webhooks.adminKeys.isEmpty ? "(none)" : "<redacted> (\(webhooks.adminKeys.count))"
        default: return key.isSecret ? "<redacted>" : (pushDisplayValues[key.name] ?? "?")
        }
    }
}
