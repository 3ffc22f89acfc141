import STOMPBroker

extension GatewayConfiguration {
    /// The embedded broker (`embedded.*`), run when no external broker is named. The
    /// defaults are ``EmbeddedBrokerConfiguration``'s; see it for what happens at each
    /// bound.
    public struct Embedded: Sendable, Equatable {
        /// The address to listen on (`embedded.host`). Default `127.0.0.1`.
        public var host = "127.0.0.1"
        /// The TCP port (`embedded.port`), 0–65535; 0 picks a free one. Default 61613.
        public var port = 61613
        /// The login a client must present (`embedded.login`); set together with
        /// ``passcode``. Default: none, so any client is accepted.
        public var login: String?
        /// The passcode a client must present (`embedded.passcode`), a secret; set
        /// together with ``login``. Default: none.
        public var passcode: String?
        /// Most simultaneous connections (`embedded.max_connections`). Default 10,000.
        public var maxConnections = 10_000
        /// Most messages held per queue (`embedded.max_queue_messages`). Default 100,000.
        public var maxQueueMessages = 100_000
        /// Most body bytes held per queue (`embedded.max_queue_bytes`). Default 64 MiB
        /// (67,108,864).
        public var maxQueueBytes = 64 * 1024 * 1024
        /// What a full queue does with a SEND (`embedded.queue_overflow`):
        /// `reject-publish` refuses it with an ERROR, `drop-oldest` drops the oldest
        /// queued message. Default `reject-publish`.
        public var queueOverflow: EmbeddedBrokerConfiguration.QueueOverflowPolicy = .rejectPublish
        /// Most subscriptions per connection (`embedded.max_subscriptions_per_connection`).
        /// Default 1,000.
        public var maxSubscriptionsPerConnection = 1_000

        /// Creates the settings with every default.
        public init() {}
    }
}
