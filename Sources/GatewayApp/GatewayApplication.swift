import GatewayCore
import GatewayHTTP
import GatewayPush
import GatewayWebhooks
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import STOMPBroker
import STOMPClient
import ServiceLifecycle

/// The gateway as one `ServiceGroup`: the broker side (an embedded broker, or the
/// shop's broker), the gateway's STOMP client, and the HTTP listener (the browser
/// transports `/stomp` and `/events`, and `/healthz`, `/readyz`, `/metrics`).
///
/// ```swift
/// let app = GatewayApplication(http: .init(port: 8080), broker: .embedded(.init()), registry: registry, logger: logger)
/// try await app.run()   // until SIGTERM or SIGINT
/// ```
///
/// Tests call ``makeServices()`` and run them in their own group.
public struct GatewayApplication: Sendable {
    /// Where the messages come from.
    public enum BrokerMode: Sendable {
        /// Start the embedded broker with this configuration.
        case embedded(EmbeddedBrokerConfiguration)
        /// Connect to the shop's broker.
        case external(STOMPClientConfiguration)
    }

    /// HTTP listener settings.
    public var http: GatewayHTTPServer.Settings
    /// The broker side.
    public var broker: BrokerMode
    /// The browser transports' settings.
    public var push: PushSettings
    /// Tokens and public access.
    public var authenticator: PushAuthenticator
    /// TLS for the HTTP listener (HTTPS/WSS), if any.
    public var tls: NIOSSLContext?
    /// API keys for the HTTP front door (`X-API-Key`), which may publish anywhere.
    public var apiKeys: [String] = []
    /// The default deadline of `/api/request` and `/api/gather`. Default 5 s.
    public var apiDefaultTimeout: Duration = .seconds(5)
    /// Webhook routes, their connection's client id and shutdown drain, admin keys.
    public var webhooks = GatewayConfiguration.Webhooks()
    /// Extra routes and services on the same listener and broker (the demo's shop).
    public struct Extension: Sendable {
        /// Called with the broker's client configuration; returns services to run.
        public var makeServices: @Sendable (STOMPClientConfiguration) throws -> [any Service]
        /// Called once the router exists, after `makeServices`.
        public var addRoutes: @Sendable (Router<BasicRequestContext>) -> Void

        /// An extension.
        public init(
            makeServices: @escaping @Sendable (STOMPClientConfiguration) throws -> [any Service],
            addRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void
        ) {
            self.makeServices = makeServices
            self.addRoutes = addRoutes
        }
    }

    /// Extensions, in order.
    public var extensions: [Extension] = []
    /// The folder served under `/web/`, or `nil`.
    public var webDirectory: String?
    /// Where metrics are registered and read from by `/metrics`.
    public var registry: PrometheusCollectorRegistry
    /// The logger.
    public var logger: Logger
    /// Called with one-line status messages meant for the operator ("listening on …").
    public var announce: @Sendable (String) -> Void

    /// Creates the application; nothing runs until ``run()``.
    public init(
        http: GatewayHTTPServer.Settings,
        broker: BrokerMode,
        push: PushSettings = PushSettings(),
        authenticator: PushAuthenticator = PushAuthenticator(verifier: nil, publicGrants: .none),
        tls: NIOSSLContext? = nil,
        apiKeys: [String] = [],
        apiDefaultTimeout: Duration = .seconds(5),
        webhooks: GatewayConfiguration.Webhooks = .init(),
        webDirectory: String? = nil,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        announce: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.http = http
        self.broker = broker
        self.push = push
        self.authenticator = authenticator
        self.tls = tls
        self.apiKeys = apiKeys
        self.apiDefaultTimeout = apiDefaultTimeout
        self.webhooks = webhooks
        self.webDirectory = webDirectory
        self.registry = registry
        self.logger = logger
        self.announce = announce
    }

    /// Builds (and, for the embedded broker, starts listening) every service.
    ///
    /// - Throws: ``GatewayStartupError`` when the embedded broker cannot listen, or a
    ///   setting cannot be used.
    public func makeServices() async throws -> [any Service] {
        var services: [any Service] = []
        let clientConfiguration: STOMPClientConfiguration
        var brokerCheck: @Sendable () -> ReadinessReport.Check? = { nil }
        switch broker {
        case .embedded(let configuration):
            if let route = webhooks.routes.first(where: { $0.isTopic && $0.durable }) {
                throw GatewayStartupError(
                    "webhooks.routes.\(route.name).source: the embedded broker keeps no durable topic subscriptions: read a /queue/ instead, "
                        + "set durable: false to take only what is published while the gateway runs, or name a broker (--broker, broker.urls)"
                )
            }
            let embedded = EmbeddedBroker(configuration: configuration, logger: logger)
            let address: SocketAddress
            do {
                address = try await embedded.start()
            } catch {
                throw GatewayStartupError(
                    "could not listen on \(configuration.host):\(configuration.port) for the embedded broker (\(error)); "
                        + "is another broker running there? Choose another port, or name that broker to use it"
                )
            }
            let host = address.ipAddress ?? configuration.host
            let port = address.port ?? configuration.port
            let url = "stomp://\(host):\(port)"
            announce("stomp-gateway: embedded STOMP broker listening on \(url)")
            services.append(embedded)
            var client = STOMPClientConfiguration(brokers: [try STOMPBrokerURL("stomp://\(host.contains(":") ? "[\(host)]" : host):\(port)")])
            if let credentials = configuration.credentials {
                client.login = credentials.login
                client.passcode = credentials.passcode
            }
            clientConfiguration = client
            brokerCheck = {
                embedded.localAddress == nil ? .init(name: "embedded broker", ok: false, detail: "embedded broker stopped") : nil
            }
        case .external(let configuration):
            clientConfiguration = configuration
            announce("stomp-gateway: using broker \(configuration.brokers.map(\.description).joined(separator: ", "))")
        }
        let client = try STOMPClient(configuration: clientConfiguration, logger: logger)
        services.append(BrokerConnectionService(client: client, logger: logger, announce: announce))
        // The HTTP front door has a connection of its own: its replies never wait behind
        // the feeds' traffic, and on ActiveMQ a wildcard topic subscription (the feeds'
        // /topic/>) on the same connection stops temporary-queue replies arriving.
        let apiClient = try STOMPClient(configuration: clientConfiguration, logger: logger)
        services.append(BrokerConnectionService(client: apiClient, logger: logger, announce: { _ in }))

        for extensionPoint in extensions { services += try extensionPoint.makeServices(clientConfiguration) }
        // Webhooks have a connection of their own too: acknowledgements and dead-letter
        // receipts never queue behind feed traffic, and ActiveMQ durable subscriptions
        // need the connection's client-id.
        var engines: [WebhookRouteEngine] = []
        var webhookClient: STOMPClient?
        if !webhooks.routes.isEmpty {
            var configuration = clientConfiguration
            if webhooks.routes.contains(where: { $0.isTopic && $0.durable }) { configuration.clientID = webhooks.clientID }
            let client = try STOMPClient(configuration: configuration, logger: logger)
            webhookClient = client
            services.append(BrokerConnectionService(client: client, logger: logger, announce: { _ in }))
            let connections = webhooks.routes.flatMap(\.endpoints).map(\.maxConcurrency).reduce(0, +)
            let poster = HTTPClientWebhookPoster(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, connectionsPerHost: connections)
            let broker = STOMPWebhookBroker(client: client, logger: logger)
            engines = webhooks.routes.map { WebhookRouteEngine(settings: $0, broker: broker, poster: poster, logger: logger) }
            services.append(
                WebhookService(engines: engines, poster: poster, drain: .milliseconds(Int64(webhooks.drainSeconds * 1000)), logger: logger)
            )
            announce(
                "stomp-gateway: \(engines.count) webhook route(s): \(webhooks.routes.map { "\($0.name) (\($0.source))" }.joined(separator: ", "))"
            )
        }

        let router = Router()
        let box = ServerBox()
        let webhookConnection = webhookClient
        let embeddedCheck = brokerCheck
        let readiness: @Sendable () -> ReadinessReport = {
            var checks: [ReadinessReport.Check] = []
            if let check = embeddedCheck() { checks.append(check) }
            if let broker = client.connectedBroker {
                checks.append(.init(name: "broker", ok: true, detail: "connected to \(broker)"))
            } else {
                checks.append(.init(name: "broker", ok: false, detail: "not connected to the broker (connecting or reconnecting)"))
            }
            if let webhookClient = webhookConnection {
                checks.append(
                    .init(
                        name: "webhooks",
                        ok: webhookClient.isConnected,
                        detail: webhookClient.isConnected ? "webhook connection up" : "webhook connection down (reconnecting)"
                    )
                )
            }
            if let server = box.server {
                let upstream = server.hub.upstreamSubscriptionCount
                checks.append(.init(name: "feeds", ok: true, detail: "\(upstream) upstream subscription(s), \(server.hub.destinationCount) feed(s)"))
            }
            return ReadinessReport(checks: checks)
        }
        OperationsRoutes.add(to: router, registry: registry, readiness: readiness)
        var apiSettings = APIRoutes.Settings(authenticator: authenticator, apiKeys: apiKeys)
        apiSettings.defaultTimeout = apiDefaultTimeout
        apiSettings.maxBodyBytes = push.maxRequestBodyBytes
        APIRoutes.add(to: router, settings: apiSettings, messaging: STOMPGatewayMessaging(client: apiClient))
        AdminRoutes.add(to: router, keys: webhooks.adminKeys, webhooks: engines)
        for extensionPoint in extensions { extensionPoint.addRoutes(router) }
        if let webDirectory { WebFiles.add(to: router, directory: webDirectory, logger: logger) }
        var pushAuthenticator = authenticator
        pushAuthenticator.adminKeys = webhooks.adminKeys
        let announce = self.announce
        let scheme = tls == nil ? "http" : "https"
        let httpHost = http.host
        let server: PushServer
        do {
            server = try PushServer(
                host: http.host,
                port: http.port,
                settings: push,
                upstream: STOMPPushUpstream(client: client, logger: logger),
                authenticator: pushAuthenticator,
                responder: HummingbirdBridge.responder(router: router, logger: logger),
                tls: tls,
                logger: logger,
                onListening: { address in
                    announce(
                        "stomp-gateway: HTTP listening on \(scheme)://\(httpHost):\(address.port ?? 0) (/stomp, /events, /api, /admin/api, /web, /healthz, /readyz, /metrics)"
                    )
                }
            )
        } catch {
            throw GatewayStartupError("feeds.retain: \(error)")
        }
        box.server = server
        services.append(UpstreamEventsService(client: client, hub: server.hub))
        do {
            try await server.start()
        } catch {
            throw GatewayStartupError("could not listen on \(http.host):\(http.port) for HTTP (\(error)); is something else using that port?")
        }
        services.append(server)
        services.append(ReloadNoticeService(logger: logger))
        if !webhooks.adminKeys.isEmpty {
            services.append(AdminFeedService(client: client, server: server, webhooks: engines, interval: .seconds(1), logger: logger))
        }
        return services
    }

    /// Runs every service until SIGTERM or SIGINT, then drains and returns — within
    /// `webhooks.drain_seconds` plus 10 s, after which what is left is cancelled (and
    /// whatever was not acknowledged goes back to the broker).
    public func run() async throws {
        let services = try await makeServices()
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(webhooks.drainSeconds * 1000)) + .seconds(10)
        configuration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        announce("stomp-gateway: stopped")
    }
}

/// Lets the readiness check see the server built after it.
private final class ServerBox: Sendable {
    private let storage = NIOLockedValueBox<PushServer?>(nil)
    var server: PushServer? {
        get { storage.withLockedValue { $0 } }
        set { storage.withLockedValue { $0 = newValue } }
    }
}
