/// One setting of ``GatewayConfiguration``: its dotted key in the YAML file and the
/// environment variable that overrides it.
///
/// The environment variable is the key with `stomp_gateway` put in front, in capitals,
/// with dots and every other character that is not a letter or digit turned into `_`:
/// `http.port` is `STOMP_GATEWAY_HTTP_PORT`, `embedded.max_queue_bytes` is
/// `STOMP_GATEWAY_EMBEDDED_MAX_QUEUE_BYTES`. (This is the naming of swift-configuration's
/// `EnvironmentVariablesProvider` under a `KeyMappingProvider` that prepends the key
/// component `stomp_gateway`; a test sets every variable to prove it.)
public struct GatewayConfigurationKey: Sendable, Hashable, CustomStringConvertible {
    /// The dotted key, as in `http.port`.
    public let name: String
    /// Whether the value is a secret: never printed, shown as `<redacted>`.
    public let isSecret: Bool

    init(_ name: String, isSecret: Bool = false) {
        self.name = name
        self.isSecret = isSecret
    }

    /// The environment variable that sets this key, as in `STOMP_GATEWAY_HTTP_PORT`.
    public var environmentVariable: String {
        ([Self.environmentComponent] + name.split(separator: ".").map(String.init))
            .map { component in
                String(component.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
            }
            .joined(separator: "_")
    }

    /// The key itself, as in `http.port`.
    public var description: String { name }

    /// The first component of every key as the environment sees it.
    static let environmentComponent = "stomp_gateway"
    /// What every environment variable of the gateway starts with.
    public static let environmentPrefix = "STOMP_GATEWAY_"

    /// `http.host`
    public static let httpHost = Self("http.host")
    /// `http.port`
    public static let httpPort = Self("http.port")
    /// `broker.urls`
    public static let brokerURLs = Self("broker.urls")
    /// `broker.login`
    public static let brokerLogin = Self("broker.login")
    /// `broker.passcode` (secret)
    public static let brokerPasscode = Self("broker.passcode", isSecret: true)
    /// `broker.vhost`
    public static let brokerVirtualHost = Self("broker.vhost")
    /// `broker.heartbeat_ms`
    public static let brokerHeartbeatMilliseconds = Self("broker.heartbeat_ms")
    /// `embedded.host`
    public static let embeddedHost = Self("embedded.host")
    /// `embedded.port`
    public static let embeddedPort = Self("embedded.port")
    /// `embedded.login`
    public static let embeddedLogin = Self("embedded.login")
    /// `embedded.passcode` (secret)
    public static let embeddedPasscode = Self("embedded.passcode", isSecret: true)
    /// `embedded.max_connections`
    public static let embeddedMaxConnections = Self("embedded.max_connections")
    /// `embedded.max_queue_messages`
    public static let embeddedMaxQueueMessages = Self("embedded.max_queue_messages")
    /// `embedded.max_queue_bytes`
    public static let embeddedMaxQueueBytes = Self("embedded.max_queue_bytes")
    /// `embedded.queue_overflow`
    public static let embeddedQueueOverflow = Self("embedded.queue_overflow")
    /// `embedded.max_subscriptions_per_connection`
    public static let embeddedMaxSubscriptionsPerConnection = Self("embedded.max_subscriptions_per_connection")
    /// `log.level`
    public static let logLevel = Self("log.level")
    /// `http.allowed_origins`
    public static let httpAllowedOrigins = Self("http.allowed_origins")
    /// `http.max_connections`
    public static let httpMaxConnections = Self("http.max_connections")
    /// `http.max_connections_per_ip`
    public static let httpMaxConnectionsPerIP = Self("http.max_connections_per_ip")
    /// `http.max_subscriptions_per_connection`
    public static let httpMaxSubscriptionsPerConnection = Self("http.max_subscriptions_per_connection")
    /// `http.max_frame_bytes`
    public static let httpMaxFrameBytes = Self("http.max_frame_bytes")
    /// `http.max_request_body_bytes`
    public static let httpMaxRequestBodyBytes = Self("http.max_request_body_bytes")
    /// `http.handshake_timeout_seconds`
    public static let httpHandshakeTimeoutSeconds = Self("http.handshake_timeout_seconds")
    /// `http.idle_timeout_seconds`
    public static let httpIdleTimeoutSeconds = Self("http.idle_timeout_seconds")
    /// `http.send_queue_bytes`
    public static let httpSendQueueBytes = Self("http.send_queue_bytes")
    /// `http.tls_certificate_file`
    public static let httpTLSCertificateFile = Self("http.tls_certificate_file")
    /// `http.tls_key_file`
    public static let httpTLSKeyFile = Self("http.tls_key_file")
    /// `sse.heartbeat_seconds`
    public static let sseHeartbeatSeconds = Self("sse.heartbeat_seconds")
    /// `sse.retry_ms`
    public static let sseRetryMilliseconds = Self("sse.retry_ms")
    /// `stomp.heartbeat_send_ms`
    public static let stompHeartbeatSendMilliseconds = Self("stomp.heartbeat_send_ms")
    /// `stomp.heartbeat_receive_ms`
    public static let stompHeartbeatReceiveMilliseconds = Self("stomp.heartbeat_receive_ms")
    /// `history.max_messages`
    public static let historyMaxMessages = Self("history.max_messages")
    /// `history.max_bytes`
    public static let historyMaxBytes = Self("history.max_bytes")
    /// `history.max_age_seconds`
    public static let historyMaxAgeSeconds = Self("history.max_age_seconds")
    /// `history.initial_replay`
    public static let historyInitialReplay = Self("history.initial_replay")
    /// `history.max_destinations`
    public static let historyMaxDestinations = Self("history.max_destinations")
    /// `feeds.retain`
    public static let feedsRetain = Self("feeds.retain")
    /// `feeds.upstream_grace_seconds`
    public static let feedsUpstreamGraceSeconds = Self("feeds.upstream_grace_seconds")
    /// `feeds.stream`
    public static let feedsStream = Self("feeds.stream")
    /// `slow_consumer.default`
    public static let slowConsumerDefault = Self("slow_consumer.default")
    /// `slow_consumer.disconnect`
    public static let slowConsumerDisconnect = Self("slow_consumer.disconnect")
    /// `auth.hmac_secret`
    public static let authHMACSecret = Self("auth.hmac_secret", isSecret: true)
    /// `auth.hmac_secret_file`
    public static let authHMACSecretFile = Self("auth.hmac_secret_file")
    /// `auth.public_key_files`
    public static let authPublicKeyFiles = Self("auth.public_key_files")
    /// `auth.jwks_file`
    public static let authJWKSFile = Self("auth.jwks_file")
    /// `auth.algorithms`
    public static let authAlgorithms = Self("auth.algorithms")
    /// `auth.audience`
    public static let authAudience = Self("auth.audience")
    /// `auth.issuer`
    public static let authIssuer = Self("auth.issuer")
    /// `auth.leeway_seconds`
    public static let authLeewaySeconds = Self("auth.leeway_seconds")
    /// `auth.public_subscribe`
    public static let authPublicSubscribe = Self("auth.public_subscribe")
    /// `auth.public_publish`
    public static let authPublicPublish = Self("auth.public_publish")
    /// `http.flush_delay_microseconds`
    public static let httpFlushDelayMicroseconds = Self("http.flush_delay_microseconds")
    /// `api.keys` (secret)
    public static let apiKeys = Self("api.keys", isSecret: true)
    /// `api.default_timeout_seconds`
    public static let apiDefaultTimeoutSeconds = Self("api.default_timeout_seconds")
    /// `auth.cookie`
    public static let authCookie = Self("auth.cookie")
    /// `http.web_dir`
    public static let httpWebDir = Self("http.web_dir")
    /// `webhooks.client_id`
    public static let webhooksClientID = Self("webhooks.client_id")
    /// `webhooks.drain_seconds`
    public static let webhooksDrainSeconds = Self("webhooks.drain_seconds")
    /// `admin.keys` (secret)
    public static let adminKeys = Self("admin.keys", isSecret: true)
    /// `diagnostics.websocket_echo`
    public static let diagnosticsWebSocketEcho = Self("diagnostics.websocket_echo")

    /// Every key, in the order the documentation and ``GatewayConfiguration/redactedDescription`` list them.
    public static let all: [Self] = [
        httpHost, httpPort, httpAllowedOrigins, httpMaxConnections, httpMaxConnectionsPerIP, httpMaxSubscriptionsPerConnection, httpMaxFrameBytes,
        httpMaxRequestBodyBytes, httpHandshakeTimeoutSeconds, httpIdleTimeoutSeconds, httpSendQueueBytes, httpFlushDelayMicroseconds,
        httpTLSCertificateFile, httpTLSKeyFile, httpWebDir,
        sseHeartbeatSeconds, sseRetryMilliseconds, stompHeartbeatSendMilliseconds, stompHeartbeatReceiveMilliseconds, historyMaxMessages,
        historyMaxBytes, historyMaxAgeSeconds, historyInitialReplay, historyMaxDestinations, feedsRetain, feedsUpstreamGraceSeconds,
        feedsStream,
        slowConsumerDefault, slowConsumerDisconnect, authHMACSecret, authHMACSecretFile, authPublicKeyFiles, authJWKSFile, authAlgorithms,
        authAudience, authIssuer, authLeewaySeconds, authPublicSubscribe, authPublicPublish, authCookie, apiKeys, apiDefaultTimeoutSeconds,
        webhooksClientID, webhooksDrainSeconds, adminKeys,
        brokerURLs, brokerLogin, brokerPasscode, brokerVirtualHost, brokerHeartbeatMilliseconds,
        embeddedHost, embeddedPort, embeddedLogin, embeddedPasscode, embeddedMaxConnections,
        embeddedMaxQueueMessages, embeddedMaxQueueBytes, embeddedQueueOverflow, embeddedMaxSubscriptionsPerConnection,
        logLevel, diagnosticsWebSocketEcho,
    ]

    /// The sections the keys are grouped in (`http`, `broker`, `embedded`, `log`).
    static let sections: [String] = {
        var sections: [String] = []
        for key in all {
            let section = String(key.name.prefix { $0 != "." })
            if !sections.contains(section) { sections.append(section) }
        }
        return sections
    }()

    /// The candidate closest to `text` (case-insensitive edit distance of at most 2, or
    /// 3 for long names), for "did you mean" hints.
    static func suggestion(for text: String, among candidates: [String]) -> String? {
        let lowered = Array(text.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= (text.count > 12 ? 3 : 2) else { return nil }
        return best.candidate
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
