extension GatewayConfiguration {
    /// Where the HTTP server listens (`http.*`).
    public struct HTTP: Sendable, Equatable {
        /// The address to bind (`http.host`). Default `127.0.0.1`; `0.0.0.0` listens on
        /// every IPv4 interface.
        public var host = "127.0.0.1"
        /// The TCP port (`http.port`), 0–65535; 0 picks a free one. Default 8080.
        public var port = 8080
        /// The folder served under `/web/` (`http.web_dir`): the browser client
        /// `stomp-gateway.js` and its pages. Default `web` (relative to the working
        /// directory); `nil` (`off`) serves nothing there.
        public var webDirectory: String? = "web"

        /// Creates the settings, by default `127.0.0.1:8080`.
        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }
}
