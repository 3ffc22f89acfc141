import GatewayWebhooks
import Logging
import ServiceLifecycle

/// Runs the webhook routes for the life of the service group. On graceful shutdown it
/// stops taking messages, lets requests in flight finish (up to the drain deadline),
/// and leaves everything unacknowledged to the broker, which redelivers it.
struct WebhookService: Service {
    let engines: [WebhookRouteEngine]
    let poster: HTTPClientWebhookPoster
    let drain: Duration
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for engine in engines {
                group.addTask { await engine.run() }
            }
            try? await gracefulShutdown()
            await withTaskGroup(of: Void.self) { stopping in
                for engine in engines {
                    stopping.addTask { await engine.stop(deadline: drain) }
                }
            }
            group.cancelAll()
        }
        await poster.shutdown()
        logger.info("webhook routes stopped")
    }
}
