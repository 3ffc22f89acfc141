import Foundation
import GatewayPush
import GatewayWebhooks
import Logging
import NIOCore
import STOMPClient
import ServiceLifecycle

/// Publishes the gateway's own status once a second to ``PushAuthenticator/adminFeed``
/// through the broker, so the admin page reads it like any feed (SSE with an admin key):
/// connections by transport, feeds with their watchers and message counts, upstream
/// subscriptions, and every webhook route's state. With several instances on one
/// broker each publishes its own snapshot (field `instance`); the page shows one at a
/// time and lists them.
struct AdminFeedService: Service {
    let client: STOMPClient
    let server: PushServer
    let webhooks: [WebhookRouteEngine]
    let interval: Duration
    let logger: Logger

    /// One status snapshot.
    struct Snapshot: Codable {
        var at: Int64
        /// Which gateway process: host name and feed epoch (several instances share the
        /// admin feed through the broker).
        var instance: String
        var epoch: String
        var connections: [String: Int]
        var upstreamSubscriptions: Int
        var feeds: [PushHub.FeedStatus]
        var webhooks: [WebhookRouteStatus]
    }

    /// The feeds listed, at most (busiest first).
    static let maxFeeds = 100

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if client.isConnected {
                var routes: [WebhookRouteStatus] = []
                for engine in webhooks { routes.append(await engine.status()) }
                let hub = server.hub
                let snapshot = Snapshot(
                    at: Int64(Date().timeIntervalSince1970 * 1000),
                    instance: "\(ProcessInfo.processInfo.hostName)/\(hub.epoch)",
                    epoch: hub.epoch,
                    connections: hub.connectionCounts,
                    upstreamSubscriptions: hub.upstreamSubscriptionCount,
                    feeds: Array(hub.feedStatuses().prefix(Self.maxFeeds)),
                    webhooks: routes
                )
                do {
                    let body = try encoder.encode(snapshot)
                    try await client.send(
                        to: PushAuthenticator.adminFeed,
                        body: ByteBuffer(bytes: body),
                        headers: ["content-type": "application/json"]
                    )
                } catch {
                    logger.debug("admin status not published", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
