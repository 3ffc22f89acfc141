import Configuration
import Foundation
import GatewayAuth
import GatewayCore
import Logging

extension GatewayConfiguration {
    /// Reads the configuration: `STOMP_GATEWAY_*` environment variables first, then the
    /// YAML file at `filePath` (if given), then the defaults. Everything is checked, and
    /// every problem is reported at once.
    ///
    /// - An environment variable that is empty counts as unset; so does a value that is
    ///   empty, `~` or `null` in the file. The default applies (or, for a variable, the
    ///   file's value).
    /// - A key in the file that is not a setting (a typo such as `htpp.port`) and a
    ///   `STOMP_GATEWAY_*` variable that is not one are errors, not silently ignored.
    /// - The file, when named, must exist; an empty file (or one of comments only) is fine.
    ///
    /// ```swift
    /// let configuration = try await GatewayConfiguration.load(filePath: "stomp-gateway.yaml")
    /// ```
    ///
    /// - Parameters:
    ///   - filePath: The YAML file, or `nil` for the environment and defaults only.
    ///   - environment: The environment variables; only those starting with
    ///     `STOMP_GATEWAY_` are read. Tests pass their own.
    /// - Throws: ``GatewayConfigurationError`` listing every issue: each wrong value with
    ///   its key and what is expected, each unknown key or variable, a missing or
    ///   unparsable file.
    public static func load(
        filePath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> GatewayConfiguration {
        var issues: [GatewayConfigurationError.Issue] = []

        // Only the gateway's own variables, and no empty ones: an empty variable is unset.
        let prefix = GatewayConfigurationKey.environmentPrefix
        let variables = environment.filter { $0.key.hasPrefix(prefix) && !$0.value.isEmpty }
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: variables,
            secretsSpecifier: .specific(Set(GatewayConfigurationKey.all.filter(\.isSecret).map(\.environmentVariable)))
        )
        // `http.port` is looked up as `stomp_gateway.http.port`, which the provider
        // encodes as STOMP_GATEWAY_HTTP_PORT.
        var providers: [any ConfigProvider] = [
            KeyMappingProvider(upstream: environmentProvider) { key in
                key.prepending([GatewayConfigurationKey.environmentComponent])
            }
        ]

        var file: GatewayConfigurationFile?
        if let filePath {
            do {
                let opened = try await GatewayConfigurationFile.open(filePath)
                if let provider = opened.provider { providers.append(provider) }
                issues += await opened.unknownKeyIssues()
                file = opened
            } catch {
                issues += error.issues
            }
        }
        issues += unknownVariableIssues(in: variables)

        var values = GatewayConfigurationValues(
            reader: ConfigReader(providers: providers),
            environment: variables,
            file: file
        )
        for issue in issues { values.report(issue) }
        let configuration = await read(from: &values, environment: environment)
        guard values.issues.isEmpty else { throw GatewayConfigurationError(issues: values.issues) }
        return configuration
    }

    /// Reads and checks every key, in documentation order.
    private static func read(from values: inout GatewayConfigurationValues, environment: [String: String]) async -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        let defaults = configuration

        configuration.http.host = await values.host(.httpHost, default: defaults.http.host)
        configuration.http.port = await values.port(.httpPort, default: defaults.http.port)

        let push = defaults.push
        configuration.push.allowedOrigins = await values.list(.httpAllowedOrigins) ?? push.allowedOrigins
        configuration.push.maxConnections = await values.count(.httpMaxConnections, default: push.maxConnections)
        configuration.push.maxConnectionsPerIP = await values.count(.httpMaxConnectionsPerIP, default: push.maxConnectionsPerIP)
        configuration.push.maxSubscriptionsPerConnection = await values.count(
            .httpMaxSubscriptionsPerConnection,
            default: push.maxSubscriptionsPerConnection
        )
        configuration.push.maxFrameBytes = await values.byteCount(.httpMaxFrameBytes, default: push.maxFrameBytes)
        configuration.push.maxRequestBodyBytes = await values.byteCount(.httpMaxRequestBodyBytes, default: push.maxRequestBodyBytes)
        configuration.push.handshakeTimeoutSeconds = await values.seconds(.httpHandshakeTimeoutSeconds, default: push.handshakeTimeoutSeconds)
        configuration.push.idleTimeoutSeconds = await values.seconds(.httpIdleTimeoutSeconds, default: push.idleTimeoutSeconds)
        configuration.push.sendQueueBytes = await values.byteCount(.httpSendQueueBytes, default: push.sendQueueBytes)
        configuration.push.flushDelayMicroseconds = await values.nonNegative(.httpFlushDelayMicroseconds, default: push.flushDelayMicroseconds)
        configuration.push.tlsCertificateFile = await values.text(.httpTLSCertificateFile)
        configuration.push.tlsKeyFile = await values.text(.httpTLSKeyFile)
        if let web = await values.text(.httpWebDir) {
            configuration.http.webDirectory = ["off", "none", "false"].contains(web.lowercased()) ? nil : web
        }
        if (configuration.push.tlsCertificateFile == nil) != (configuration.push.tlsKeyFile == nil) {
            values.report(.httpTLSCertificateFile, "http.tls_certificate_file and http.tls_key_file go together (set both for HTTPS/WSS)")
        }
        configuration.push.sseHeartbeatSeconds = await values.seconds(.sseHeartbeatSeconds, default: push.sseHeartbeatSeconds)
        configuration.push.sseRetryMilliseconds = await values.count(
            .sseRetryMilliseconds,
            default: push.sseRetryMilliseconds,
            maximum: GatewayConfigurationValues.maximumMilliseconds
        )
        configuration.push.stompHeartbeatSendMilliseconds = await values.nonNegative(
            .stompHeartbeatSendMilliseconds,
            default: push.stompHeartbeatSendMilliseconds,
            maximum: GatewayConfigurationValues.maximumMilliseconds
        )
        configuration.push.stompHeartbeatReceiveMilliseconds = await values.nonNegative(
            .stompHeartbeatReceiveMilliseconds,
            default: push.stompHeartbeatReceiveMilliseconds,
            maximum: GatewayConfigurationValues.maximumMilliseconds
        )
        configuration.push.historyMaxMessages = await values.count(.historyMaxMessages, default: push.historyMaxMessages)
        configuration.push.historyMaxBytes = await values.byteCount(.historyMaxBytes, default: push.historyMaxBytes)
        configuration.push.historyMaxAgeSeconds = await values.seconds(.historyMaxAgeSeconds, default: push.historyMaxAgeSeconds)
        configuration.push.historyInitialReplay = await values.nonNegative(.historyInitialReplay, default: push.historyInitialReplay)
        configuration.push.historyMaxDestinations = await values.count(.historyMaxDestinations, default: push.historyMaxDestinations)
        configuration.push.retain = await values.patterns(.feedsRetain, default: push.retain)
        configuration.push.upstreamGraceSeconds = await values.seconds(.feedsUpstreamGraceSeconds, default: push.upstreamGraceSeconds)
        configuration.push.stream = await values.text(.feedsStream)
        if let stream = configuration.push.stream,
            stream.isEmpty || stream.utf8.count > 200 || stream.contains(where: { $0 == "/" || $0.isWhitespace || $0.isNewline })
        {
            values.report(.feedsStream, "expected a stream queue name without '/' or spaces, such as stomp-gateway.feeds")
        }
        configuration.push.slowConsumerDefault = await values.choice(
            .slowConsumerDefault,
            default: push.slowConsumerDefault,
            kind: "a slow-consumer policy",
            options: SlowConsumerPolicy.allCases.map(\.rawValue),
            parse: { SlowConsumerPolicy(rawValue: $0) }
        )
        configuration.push.slowConsumerDisconnect = await values.patterns(.slowConsumerDisconnect, default: [])

        let auth = defaults.auth
        configuration.auth.hmacSecret = await values.text(.authHMACSecret)
        configuration.auth.hmacSecretFile = await values.text(.authHMACSecretFile)
        if configuration.auth.hmacSecret != nil && configuration.auth.hmacSecretFile != nil {
            values.report(.authHMACSecretFile, "set auth.hmac_secret or auth.hmac_secret_file, not both")
        }
        if let secret = configuration.auth.hmacSecret, secret.utf8.count < 32 {
            values.report(.authHMACSecret, "is \(secret.utf8.count) bytes; at least 32 are required (generate one: openssl rand -base64 48)")
        }
        configuration.auth.publicKeyFiles = await values.list(.authPublicKeyFiles) ?? []
        configuration.auth.jwksFile = await values.text(.authJWKSFile)
        configuration.auth.algorithms = await values.list(.authAlgorithms) ?? []
        for algorithm in configuration.auth.algorithms where !JWTVerifierSettings.supportedAlgorithms.contains(algorithm) {
            values.report(
                .authAlgorithms,
                "'\(algorithm)' is not a supported algorithm (expected some of \(JWTVerifierSettings.supportedAlgorithms.joined(separator: ", ")); none is never accepted)"
            )
        }
        configuration.auth.audience = await values.text(.authAudience)
        configuration.auth.issuer = await values.text(.authIssuer)
        configuration.auth.leewaySeconds = await values.seconds(.authLeewaySeconds, default: auth.leewaySeconds)
        configuration.auth.publicSubscribe = await values.patterns(.authPublicSubscribe, default: [])
        configuration.auth.publicPublish = await values.patterns(.authPublicPublish, default: [])
        configuration.auth.cookie = await values.text(.authCookie) ?? auth.cookie
        configuration.auth.apiKeys = await values.list(.apiKeys) ?? []
        for key in configuration.auth.apiKeys where key.utf8.count < 16 {
            values.report(.apiKeys, "an API key is \(key.utf8.count) characters; at least 16 are required")
        }
        configuration.auth.apiDefaultTimeoutSeconds = await values.seconds(.apiDefaultTimeoutSeconds, default: auth.apiDefaultTimeoutSeconds)

        configuration.webhooks.clientID = await values.text(.webhooksClientID) ?? defaults.webhooks.clientID
        configuration.webhooks.drainSeconds = await values.seconds(.webhooksDrainSeconds, default: defaults.webhooks.drainSeconds)
        configuration.webhooks.adminKeys = await values.list(.adminKeys) ?? []
        for key in configuration.webhooks.adminKeys where key.utf8.count < 16 {
            values.report(.adminKeys, "an admin key is \(key.utf8.count) characters; at least 16 are required")
        }
        if let file = values.file, let text = try? String(contentsOfFile: file.path, encoding: .utf8) {
            var reader = WebhookRoutesReader(origin: file.origin, environment: environment)
            configuration.webhooks.routes = reader.routes(inFile: text)
            for issue in reader.issues { values.report(issue) }
        }

        configuration.broker.urls = await values.brokerURLs(.brokerURLs)
        configuration.broker.login = await values.text(.brokerLogin)
        configuration.broker.passcode = await values.text(.brokerPasscode)
        configuration.broker.virtualHost = await values.text(.brokerVirtualHost)
        configuration.broker.heartbeatMilliseconds = await values.nonNegative(
            .brokerHeartbeatMilliseconds,
            default: defaults.broker.heartbeatMilliseconds,
            maximum: GatewayConfigurationValues.maximumMilliseconds
        )

        configuration.embedded.host = await values.host(.embeddedHost, default: defaults.embedded.host)
        configuration.embedded.port = await values.port(.embeddedPort, default: defaults.embedded.port)
        configuration.embedded.login = await values.text(.embeddedLogin)
        configuration.embedded.passcode = await values.text(.embeddedPasscode)
        if (configuration.embedded.login == nil) != (configuration.embedded.passcode == nil) {
            let (given, missing): (GatewayConfigurationKey, GatewayConfigurationKey) =
                configuration.embedded.login == nil ? (.embeddedPasscode, .embeddedLogin) : (.embeddedLogin, .embeddedPasscode)
            values.report(
                given,
                "is set but \(missing.name) is not: embedded.login and embedded.passcode go together (set both to require them, or neither to accept any client)"
            )
        }
        configuration.embedded.maxConnections = await values.count(.embeddedMaxConnections, default: defaults.embedded.maxConnections)
        configuration.embedded.maxQueueMessages = await values.count(.embeddedMaxQueueMessages, default: defaults.embedded.maxQueueMessages)
        configuration.embedded.maxQueueBytes = await values.byteCount(.embeddedMaxQueueBytes, default: defaults.embedded.maxQueueBytes)
        configuration.embedded.queueOverflow = await values.choice(
            .embeddedQueueOverflow,
            default: defaults.embedded.queueOverflow,
            kind: "a queue overflow policy",
            options: ["reject-publish", "drop-oldest"],
            parse: { .init(rawValue: $0) }
        )
        configuration.embedded.maxSubscriptionsPerConnection = await values.count(
            .embeddedMaxSubscriptionsPerConnection,
            default: defaults.embedded.maxSubscriptionsPerConnection
        )

        configuration.logLevel = await values.choice(
            .logLevel,
            default: defaults.logLevel,
            kind: "a log level",
            options: Logger.Level.allCases.map(\.rawValue),
            parse: { Logger.Level(rawValue: $0) }
        )
        configuration.push.diagnosticsWebSocketEcho = await values.choice(
            .diagnosticsWebSocketEcho,
            default: push.diagnosticsWebSocketEcho,
            kind: "true or false",
            options: ["true", "false"],
            parse: { ["true", "yes", "on"].contains($0) ? true : ["false", "no", "off"].contains($0) ? false : nil }
        )
        return configuration
    }

    /// Whether `name=value` is one of the variables Kubernetes gives every pod for a
    /// Service called `stomp-gateway` (`STOMP_GATEWAY_SERVICE_HOST=10.0.0.7`,
    /// `STOMP_GATEWAY_PORT=tcp://10.0.0.7:8080`, `STOMP_GATEWAY_PORT_8080_TCP_PROTO=tcp`, …):
    /// not settings, and not typos either.
    static func isKubernetesServiceLink(_ name: String, _ value: String) -> Bool {
        let rest = name.dropFirst(GatewayConfigurationKey.environmentPrefix.count)
        let isAddress = value.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" || $0.isHexDigit }
        switch true {
        case rest == "SERVICE_HOST": return isAddress
        case rest.hasPrefix("SERVICE_PORT"): return value.allSatisfy(\.isNumber)
        case rest == "PORT": return value.hasPrefix("tcp://") || value.hasPrefix("udp://") || value.hasPrefix("sctp://")
        case rest.hasPrefix("PORT_"):
            return rest.hasSuffix("_PROTO") || rest.hasSuffix("_PORT") || rest.hasSuffix("_ADDR") || value.hasPrefix("tcp://")
                || value.hasPrefix("udp://")
        default: return false
        }
    }

    /// `STOMP_GATEWAY_*` variables that are not settings (a typo must not be ignored).
    private static func unknownVariableIssues(in variables: [String: String]) -> [GatewayConfigurationError.Issue] {
        let known = GatewayConfigurationKey.all.map(\.environmentVariable)
        return variables.keys.sorted().filter { !known.contains($0) && !isKubernetesServiceLink($0, variables[$0] ?? "") }.map { name in
            var message = "unknown environment variable"
            if let suggestion = GatewayConfigurationKey.suggestion(for: name, among: known) {
                message += "; did you mean \(suggestion)?"
            } else {
                message += " (every STOMP_GATEWAY_* variable must be a setting; see docs/CONFIGURATION.md)"
            }
            return GatewayConfigurationError.Issue(key: name, message: message)
        }
    }
}
