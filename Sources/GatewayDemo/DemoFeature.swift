import Foundation
import GatewayApp
import GatewayWebhooks
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import STOMPClient
import ServiceLifecycle

/// `stomp-gateway demo`: the shop, its order pipeline and its webhook receiver, added to
/// a gateway as an ``GatewayApplication/Extension``.
///
/// Roles: `all` (the default: shop backend and pipeline with the gateway), `web` (the
/// shop backend only: pages, buying, tokens, history, webhook receiver) and `services`
/// (the pipeline only). Split roles let a test kill and restart the gateway while the
/// pipeline goes on.
public struct DemoFeature: Sendable {
    /// Which parts run in this process.
    public enum Role: String, Sendable, CaseIterable {
        case all, web, services
    }

    /// The parts to run.
    public var role: Role
    /// The HS256 secret the page tokens are signed with (also the gateway's `auth.hmac_secret`).
    public var hmacSecret: [UInt8]
    /// The webhook route's signing secret, which the receiver checks.
    public var webhookSecret: WebhookSecret
    /// Multiplies the pipeline's delays (1: about 4–8 s from order to carrier).
    public var delayScale: Double
    /// The logger.
    public var logger: Logger

    /// A demo.
    public init(role: Role, hmacSecret: [UInt8], webhookSecret: WebhookSecret, delayScale: Double, logger: Logger) {
        self.role = role
        self.hmacSecret = hmacSecret
        self.webhookSecret = webhookSecret
        self.delayScale = delayScale
        self.logger = logger
    }

    /// The webhook route that sends every order event to the demo receiver at `url`.
    public func webhookRoute(receiverURL url: String) -> WebhookRouteSettings {
        WebhookRouteSettings(
            name: "demo-orders",
            source: DemoPipeline.Names.events,
            idHeader: "event-id",
            endpoints: [
                WebhookEndpointSettings(
                    name: "receiver",
                    url: url,
                    secrets: [webhookSecret],
                    timeout: .seconds(5),
                    maxConcurrency: 8,
                    orderingKey: "order-id",
                    retry: WebhookRetryPolicy(maxAttempts: 8, initialDelay: .milliseconds(200), maxDelay: .seconds(5))
                )
            ]
        )
    }

    /// The extension to give ``GatewayApplication``.
    public func gatewayExtension() -> GatewayApplication.Extension {
        let shopBox = NIOLockedValueBox<DemoShop?>(nil)
        let feature = self
        return GatewayApplication.Extension(
            makeServices: { configuration in
                var services: [any Service] = []
                let store = DemoOrderStore()
                if feature.role != .services {
                    let client = try STOMPClient(configuration: configuration, logger: feature.logger)
                    let shop = DemoShop(client: client, hmacSecret: feature.hmacSecret, webhookSecret: feature.webhookSecret, logger: feature.logger)
                    shopBox.withLockedValue { $0 = shop }
                    services.append(BrokerConnectionService(client: client, logger: feature.logger))
                    services.append(DemoRequestorService(requestor: shop.requestor, client: client, logger: feature.logger))
                }
                if feature.role != .web {
                    services.append(DemoPipeline(client: configuration, delayScale: feature.delayScale, store: store, logger: feature.logger))
                }
                return services
            },
            addRoutes: { router in
                shopBox.withLockedValue { $0 }?.addRoutes(to: router)
            }
        )
    }
}

/// Starts the shop's request–reply client once its connection is up.
struct DemoRequestorService: Service {
    let requestor: STOMPRequestor
    let client: STOMPClient
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if client.isConnected {
                do {
                    try await requestor.start()
                    break
                } catch {
                    logger.debug("demo requestor not started yet", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        try? await gracefulShutdown()
        await requestor.stop()
    }
}
