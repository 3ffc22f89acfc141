import Logging
import STOMPClient
import ServiceLifecycle

/// Keeps the gateway's connection to the shop's broker for the life of the service
/// group: connects (retrying with the client's backoff while the broker is down),
/// then waits for graceful shutdown and disconnects.
public struct BrokerConnectionService: Service {
    let client: STOMPClient
    let logger: Logger
    let announce: @Sendable (String) -> Void

    /// A service that keeps `client` connected; `announce` hears "connected to …".
    public init(client: STOMPClient, logger: Logger, announce: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.logger = logger
        self.announce = announce
    }

    public func run() async throws {
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        let policy = client.configuration.reconnect ?? STOMPReconnectPolicy()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await client.connect()
                announce("stomp-gateway: connected to \(client.connectedBroker?.description ?? "the broker")")
                break
            } catch {
                logger.warning("broker not reachable; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: policy.delay(attempt: attempt, using: &generator))
                attempt += 1
            }
        }
        try? await gracefulShutdown()
        try? await client.disconnect()
    }
}
