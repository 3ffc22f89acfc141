import GatewayWebhooks

extension GatewayConfiguration {
    /// Webhook routes and their connection (`webhooks.*`), and the admin API (`admin.keys`).
    public struct Webhooks: Sendable, Equatable {
        /// The routes (`webhooks.routes`, read from the file only).
        public var routes: [WebhookRouteSettings] = []
        /// The STOMP `client-id` of the webhook connection (`webhooks.client_id`), which
        /// ActiveMQ needs for durable topic subscriptions. Default `stomp-gateway-webhooks`.
        public var clientID = "stomp-gateway-webhooks"
        /// How long a shutdown waits for deliveries in flight (`webhooks.drain_seconds`).
        /// Default 10 s.
        public var drainSeconds = 10.0
        /// Keys for the admin API (`admin.keys`), each at least 16 characters.
        public var adminKeys: [String] = []

        /// Defaults: no routes.
        public init() {}
    }
}
