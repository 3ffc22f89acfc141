import STOMPClient

extension GatewayConfiguration {
    /// The shop's STOMP broker (`broker.*`). With no URLs the gateway runs the embedded
    /// broker instead, and the other settings here are not used.
    public struct Broker: Sendable, Equatable {
        /// The broker URLs, tried in order for failover (`broker.urls`): a YAML list, or
        /// URLs separated by commas. Each is
        /// `stomp://[login:passcode@]host[:port][?host=VHOST]` (`stomp+ssl://` for TLS).
        /// Default: none, which runs the embedded broker.
        public var urls: [STOMPBrokerURL] = []
        /// The login (`broker.login`); overrides the URLs'. Default: the URL's, if any.
        public var login: String?
        /// The passcode (`broker.passcode`), a secret; overrides the URLs'. Default: the
        /// URL's, if any.
        public var passcode: String?
        /// The CONNECT frame's `host` header, RabbitMQ's virtual host (`broker.vhost`).
        /// Default: the URL's `?host=`, else `/`.
        public var virtualHost: String?
        /// The STOMP heart-beat interval offered to the broker both ways
        /// (`broker.heartbeat_ms`), in milliseconds; 0 turns heart-beats off. A broker
        /// silent for twice the negotiated interval is taken for lost: the connection is
        /// dropped and made again. Default 10 000.
        public var heartbeatMilliseconds = 10_000

        /// Creates the settings; by default no URLs, so the embedded broker runs.
        public init(urls: [STOMPBrokerURL] = [], login: String? = nil, passcode: String? = nil, virtualHost: String? = nil) {
            self.urls = urls
            self.login = login
            self.passcode = passcode
            self.virtualHost = virtualHost
        }
    }
}
