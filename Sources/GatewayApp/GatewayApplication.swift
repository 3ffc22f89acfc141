import GatewayHTTP
import Hummingbird
import Logging
import NIOCore
import Prometheus
import STOMPBroker
import STOMPClient
import ServiceLifecycle

/// The gateway as one `ServiceGroup`: the broker side (an embedded broker, or a client
/// of the shop's broker) and the HTTP server (`/healthz`, `/readyz`, `/metrics`; the
/// browser transports, webhooks and front door join later).
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
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        announce: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.http = http
        self.broker = broker
        self.registry = registry
        self.logger = logger
        self.announce = announce
    }

    /// Builds (and, for the embedded broker, starts listening) every service.
    ///
    /// - Throws: ``GatewayStartupError`` when the embedded broker cannot listen.
    public func makeServices() async throws -> [any Service] {
        var services: [any Service] = []
        let readiness: @Sendable () -> ReadinessReport
        switch broker {
        case .embedded(let configuration):
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
            let url = "stomp://\(address.ipAddress ?? configuration.host):\(address.port ?? configuration.port)"
            announce("stomp-gateway: embedded STOMP broker listening on \(url)")
            services.append(embedded)
            readiness = {
                let listening = embedded.localAddress != nil
                return ReadinessReport(checks: [
                    .init(name: "broker", ok: listening, detail: listening ? "embedded broker listening on \(url)" : "embedded broker stopped")
                ])
            }
        case .external(let configuration):
            let client = try STOMPClient(configuration: configuration, logger: logger)
            announce("stomp-gateway: using broker \(configuration.brokers.map(\.description).joined(separator: ", "))")
            services.append(BrokerConnectionService(client: client, logger: logger, announce: announce))
            readiness = {
                if let broker = client.connectedBroker {
                    return ReadinessReport(checks: [.init(name: "broker", ok: true, detail: "connected to \(broker)")])
                }
                return ReadinessReport(checks: [.init(name: "broker", ok: false, detail: "not connected to the broker (connecting or reconnecting)")])
            }
        }
        let announce = self.announce
        let httpSettings = http
        let application = GatewayHTTPServer.makeApplication(settings: http, registry: registry, logger: logger, readiness: readiness) { port in
            announce("stomp-gateway: HTTP listening on http://\(httpSettings.host):\(port) (/healthz, /readyz, /metrics)")
        }
        services.append(application)
        return services
    }

    /// Runs every service until SIGTERM or SIGINT, then drains and returns.
    public func run() async throws {
        let services = try await makeServices()
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        announce("stomp-gateway: stopped")
    }
}
