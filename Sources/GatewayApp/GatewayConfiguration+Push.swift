import GatewayCore
import GatewayPush

extension GatewayConfiguration {
    /// The browser transports' settings (`http.*` limits, `sse.*`, `stomp.*`,
    /// `history.*`, `feeds.*`, `slow_consumer.*`); defaults as in ``GatewayPush/PushSettings``.
    public struct Push: Sendable, Equatable {
        public var allowedOrigins: [String] = []
        public var maxConnections = 10_000
        public var maxConnectionsPerIP = 1_000
        public var maxSubscriptionsPerConnection = 100
        public var maxFrameBytes = 65_536
        public var maxRequestBodyBytes = 1 << 20
        public var handshakeTimeoutSeconds = 10.0
        public var idleTimeoutSeconds = 60.0
        public var sendQueueBytes = 262_144
        public var flushDelayMicroseconds = 10_000
        public var tlsCertificateFile: String?
        public var tlsKeyFile: String?
        public var sseHeartbeatSeconds = 15.0
        public var sseRetryMilliseconds = 2_000
        public var stompHeartbeatSendMilliseconds = 1_000
        public var stompHeartbeatReceiveMilliseconds = 10_000
        public var historyMaxMessages = 100
        public var historyMaxBytes = 1 << 20
        public var historyMaxAgeSeconds = 3_600.0
        public var historyInitialReplay = 1
        public var historyMaxDestinations = 100_000
        public var retain: [String] = ["/topic/**"]
        public var upstreamGraceSeconds = 30.0
        /// The RabbitMQ stream that keeps the feeds' history in the broker (`feeds.stream`),
        /// shared by every instance; `nil` (the default) keeps it in each process.
        public var stream: String?
        public var slowConsumerDefault = SlowConsumerPolicy.dropOldest
        public var slowConsumerDisconnect: [String] = []
        public var webEnabled = true
        /// Diagnostics: serve the WebSocket echo route `/diagnostics/echo`
        /// (`diagnostics.websocket_echo`). Default false; never in production.
        public var diagnosticsWebSocketEcho = false

        /// The defaults.
        public init() {}
    }

    /// Token verification and public access (`auth.*`).
    public struct Auth: Sendable, Equatable {
        /// HMAC secret (`auth.hmac_secret`, secret); at least 32 bytes.
        public var hmacSecret: String?
        /// A file holding the HMAC secret (`auth.hmac_secret_file`); trailing newlines ignored.
        public var hmacSecretFile: String?
        /// PEM public key files (`auth.public_key_files`).
        public var publicKeyFiles: [String] = []
        /// A JWKS file (`auth.jwks_file`).
        public var jwksFile: String?
        /// Accepted algorithms (`auth.algorithms`); empty: all the keys can verify.
        public var algorithms: [String] = []
        /// Required `aud` (`auth.audience`).
        public var audience: String?
        /// Required `iss` (`auth.issuer`).
        public var issuer: String?
        /// Clock skew on `exp`/`nbf` (`auth.leeway_seconds`). Default 30.
        public var leewaySeconds = 30.0
        /// Patterns anyone may subscribe to (`auth.public_subscribe`). Default none.
        public var publicSubscribe: [String] = []
        /// Patterns anyone may publish to (`auth.public_publish`). Default none.
        public var publicPublish: [String] = []
        /// The cookie that may carry the token for SSE (`auth.cookie`).
        public var cookie = "stomp_gateway_token"
        /// API keys for the HTTP front door (`api.keys`, secret).
        public var apiKeys: [String] = []
        /// Default deadline of `/api/request` and `/api/gather` (`api.default_timeout_seconds`). Default 5.
        public var apiDefaultTimeoutSeconds = 5.0

        /// The defaults: no keys, nothing public.
        public init() {}
    }

    /// The browser transports' settings.
    ///
    /// - Throws: ``GatewayCore/DestinationPatternError`` for an invalid pattern (the
    ///   loader has already reported those by key).
    public func pushSettings() throws -> PushSettings {
        var settings = PushSettings()
        settings.allowedOrigins = push.allowedOrigins
        settings.maxConnections = push.maxConnections
        settings.maxConnectionsPerIP = push.maxConnectionsPerIP
        settings.maxSubscriptionsPerConnection = push.maxSubscriptionsPerConnection
        settings.maxFrameBytes = push.maxFrameBytes
        settings.webSocketEcho = push.diagnosticsWebSocketEcho
        settings.maxRequestBodyBytes = push.maxRequestBodyBytes
        settings.handshakeTimeout = .milliseconds(Int64(push.handshakeTimeoutSeconds * 1000))
        settings.idleTimeout = .milliseconds(Int64(push.idleTimeoutSeconds * 1000))
        settings.sendQueueBytes = push.sendQueueBytes
        settings.flushDelayMicroseconds = push.flushDelayMicroseconds
        settings.sseHeartbeat = .milliseconds(Int64(push.sseHeartbeatSeconds * 1000))
        settings.sseRetryMilliseconds = push.sseRetryMilliseconds
        settings.tokenCookieName = auth.cookie
        settings.stompHeartbeatSendMilliseconds = push.stompHeartbeatSendMilliseconds
        settings.stompHeartbeatReceiveMilliseconds = push.stompHeartbeatReceiveMilliseconds
        settings.history = RetainedHistoryLimits(
            maxMessages: push.historyMaxMessages,
            maxBytes: push.historyMaxBytes,
            maxAge: .milliseconds(Int64(push.historyMaxAgeSeconds * 1000))
        )
        settings.initialReplay = push.historyInitialReplay
        settings.maxDestinations = push.historyMaxDestinations
        settings.retain = push.retain
        settings.upstreamGrace = .milliseconds(Int64(push.upstreamGraceSeconds * 1000))
        settings.stream = push.stream
        var rules: [(DestinationPattern, SlowConsumerPolicy)] = []
        for text in push.slowConsumerDisconnect { rules.append((try DestinationPattern(text), .disconnect)) }
        settings.slowConsumer = SlowConsumerPolicies(rules: rules, default: push.slowConsumerDefault)
        settings.publicGrants = try DestinationGrants(subscribe: auth.publicSubscribe, publish: auth.publicPublish)
        return settings
    }
}
