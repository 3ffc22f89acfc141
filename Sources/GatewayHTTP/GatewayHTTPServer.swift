import Hummingbird
import Logging
import Prometheus

/// Builds the gateway's HTTP server: a Hummingbird `Application`, which is a
/// `Service` to run in the gateway's `ServiceGroup`.
///
/// Today it serves the operations routes (``OperationsRoutes``); the browser
/// transports (WebSocket, Server-Sent Events) and the HTTP front door join it later.
public enum GatewayHTTPServer {
    /// Where and how to listen.
    public struct Settings: Sendable {
        /// Address to bind. Default `127.0.0.1`.
        public var host = "127.0.0.1"
        /// Port to bind; 0 picks a free one. Default 8080.
        public var port = 8080

        /// Creates settings.
        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    /// Creates the application. `onListening` is called with the bound port once the
    /// server accepts connections.
    public static func makeApplication(
        settings: Settings,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        readiness: @escaping @Sendable () -> ReadinessReport,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        OperationsRoutes.add(to: router, registry: registry, readiness: readiness)
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "stomp-gateway"),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? settings.port)
            },
            logger: logger
        )
    }
}
