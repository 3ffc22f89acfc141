import NIOCore
import NIOSSL
import STOMPCore

/// Settings of a ``STOMPClient``, with defaults that suit RabbitMQ, ActiveMQ, Artemis
/// and the embedded broker alike.
public struct STOMPClientConfiguration: Sendable {
    /// The brokers to try, in order; after a drop the client moves on through the list.
    public var brokers: [STOMPBrokerURL]
    /// Login; overrides the URL's.
    public var login: String?
    /// Passcode; overrides the URL's.
    public var passcode: String?
    /// The `host` header. Default: the URL's `host` query parameter, else `/`
    /// (RabbitMQ's default virtual host; ActiveMQ and Artemis ignore it).
    public var virtualHost: String?
    /// Versions offered in `accept-version`. Default 1.0, 1.1 and 1.2.
    public var versions: [STOMPVersion] = STOMPVersion.allCases
    /// The heart-beat offered. Default `10000,10000`.
    public var heartBeat = STOMPHeartBeat(outgoing: 10_000, incoming: 10_000)
    /// Silence tolerated from the broker, as a multiple of the negotiated interval.
    /// Default 2: a broker that promised a beat every 10 s is declared dead after 20 s.
    public var heartBeatTolerance = 2.0
    /// Time to open TCP (and TLS) and receive CONNECTED. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Time to wait for a RECEIPT. Default 10 s.
    public var receiptTimeout: Duration = .seconds(10)
    /// Reconnection after a drop, or `nil` not to reconnect. Default: reconnect forever.
    public var reconnect: STOMPReconnectPolicy? = STOMPReconnectPolicy()
    /// Frame limits for what the broker sends. Default ``STOMPParserLimits/default``.
    public var parserLimits: STOMPParserLimits = .default
    /// Messages buffered per subscription before the client stops reading from the
    /// socket (back-pressure). Default 256; at most one socket read more is buffered.
    public var subscriptionBufferSize = 256
    /// TLS settings for `stomp+ssl://` URLs. Default: system trust roots, full verification.
    public var tls: TLSConfiguration = .makeClientConfiguration()
    /// The `client-id` header, which ActiveMQ Classic needs for durable subscriptions.
    public var clientID: String?
    /// Further headers for the CONNECT frame.
    public var connectHeaders: STOMPHeaders = [:]

    /// Creates a configuration for `brokers`.
    public init(brokers: [STOMPBrokerURL]) {
        self.brokers = brokers
    }

    /// Creates a configuration for one broker.
    public init(broker: STOMPBrokerURL) {
        self.brokers = [broker]
    }
}
