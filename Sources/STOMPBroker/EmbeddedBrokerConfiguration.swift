import NIOCore
import NIOSSL
import STOMPCore

/// Settings of the ``EmbeddedBroker``. Every limit has a default and a stated policy.
///
/// | setting | default | at the bound |
/// |---|---|---|
/// | ``host`` / ``port`` | `127.0.0.1` / `61613` | — |
/// | ``maxConnections`` | 10,000 | the new connection gets an ERROR and is closed; counted in `stomp_broker_rejected_total{reason="max_connections"}` |
/// | ``parserLimits`` | ``STOMPParserLimits/default`` (16 KiB lines, 128 headers, 8 MiB body) | ERROR naming the limit, connection closed; `stomp_broker_protocol_errors_total` |
/// | ``maxSubscriptionsPerConnection`` | 1,000 | ERROR, connection closed; `stomp_broker_rejected_total{reason="max_subscriptions"}` |
/// | ``maxQueueMessages`` / ``maxQueueBytes`` | 100,000 / 64 MiB per queue | ``QueueOverflowPolicy``: by default the SEND is refused with an ERROR (nothing is silently lost); `stomp_broker_rejected_total{reason="queue_full"}` or `stomp_broker_dropped_total{reason="queue_full"}` |
/// | ``maxPendingBytesPerConnection`` | 8 MiB of unwritten output | topic messages for that subscriber are dropped and counted in `stomp_broker_dropped_total{reason="slow_consumer"}`; queues stop dispatching to it (messages stay queued) |
/// | ``defaultPrefetch`` | 1,000 unacknowledged messages per `client`/`client-individual` subscription | no more messages to that subscription until it acknowledges |
/// | ``connectTimeout`` | 10 s to send CONNECT | ERROR, connection closed; `stomp_broker_rejected_total{reason="connect_timeout"}` |
/// | ``maxTransactionFrames`` | 10,000 frames per open transaction | ERROR, connection closed |
/// | ``heartBeat`` | `10000,10000` | a client silent for twice the negotiated interval is disconnected |
public struct EmbeddedBrokerConfiguration: Sendable {
    /// What happens to a SEND when a queue is full.
    public enum QueueOverflowPolicy: String, Sendable, Hashable {
        /// Refuse the SEND with an ERROR frame (the sender knows; nothing is lost silently).
        case rejectPublish = "reject-publish"
        /// Accept the SEND and drop the oldest queued message, counting it.
        case dropOldest = "drop-oldest"
    }

    /// The address to listen on. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 picks a free one. Default 61613.
    public var port: Int = 61613
    /// Credentials a client must present, or `nil` to accept any. Default `nil`.
    public var credentials: (login: String, passcode: String)?
    /// The heart-beat this broker offers. Default `10000,10000`.
    public var heartBeat = STOMPHeartBeat(outgoing: 10_000, incoming: 10_000)
    /// Silence tolerated, as a multiple of the negotiated interval. Default 2.
    public var heartBeatTolerance: Double = 2
    /// Frame limits. Default ``STOMPParserLimits/default``.
    public var parserLimits: STOMPParserLimits = .default
    /// Most simultaneous connections. Default 10,000.
    public var maxConnections = 10_000
    /// Most subscriptions per connection. Default 1,000.
    public var maxSubscriptionsPerConnection = 1_000
    /// Most messages held per queue. Default 100,000.
    public var maxQueueMessages = 100_000
    /// Most body bytes held per queue. Default 64 MiB.
    public var maxQueueBytes = 64 * 1024 * 1024
    /// What happens at a queue's bound. Default ``QueueOverflowPolicy/rejectPublish``.
    public var queueOverflowPolicy: QueueOverflowPolicy = .rejectPublish
    /// Unwritten output per connection beyond which it counts as a slow consumer. Default 8 MiB.
    public var maxPendingBytesPerConnection = 8 * 1024 * 1024
    /// Unwritten output per connection beyond which queues pause dispatching to it. Default 1 MiB.
    public var queueDispatchPauseBytes = 1024 * 1024
    /// Unacknowledged messages per acknowledging subscription, unless the SUBSCRIBE
    /// names `prefetch-count` or `activemq.prefetchSize`. Default 1,000.
    public var defaultPrefetch = 1_000
    /// Time a new connection has to send CONNECT. Default 10 s.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Most frames buffered in one transaction. Default 10,000.
    public var maxTransactionFrames = 10_000
    /// TLS for the listener (`stomp+ssl://`), or `nil` for plain TCP. Default `nil`.
    public var tls: TLSConfiguration?

    /// Creates a configuration with the defaults.
    public init() {}

    /// Creates a configuration listening on `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
