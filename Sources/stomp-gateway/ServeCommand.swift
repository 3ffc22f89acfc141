import ArgumentParser
import Logging
import NIOCore
import STOMPBroker
import STOMPClient
import ServiceLifecycle

/// `stomp-gateway serve`: runs the gateway; with no broker named, an embedded one.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway (with an embedded STOMP broker unless --broker names one).",
        discussion: "SIGTERM or SIGINT drains and exits 0."
    )

    @OptionGroup var broker: BrokerOptions

    @Option(help: "Embedded broker: address to listen on.")
    var brokerHost = "127.0.0.1"

    @Option(help: "Embedded broker: TCP port (0 picks a free one).")
    var brokerPort = 61613

    @Option(help: "Embedded broker: require this login (with --broker-passcode).")
    var brokerLogin: String?

    @Option(help: "Embedded broker: require this passcode.")
    var brokerPasscode: String?

    func validate() throws {
        guard (0...65535).contains(brokerPort) else { throw ValidationError("--broker-port must be 0–65535, got \(brokerPort)") }
        guard (brokerLogin == nil) == (brokerPasscode == nil) else {
            throw ValidationError("--broker-login and --broker-passcode go together")
        }
    }

    func run() async throws {
        StompGatewayCommand.bootstrapLogging()
        let logger = Logger(label: "stomp-gateway")
        var services: [any Service] = []
        let urls = try broker.urls()
        if urls.isEmpty {
            var configuration = EmbeddedBrokerConfiguration(host: brokerHost, port: brokerPort)
            if let brokerLogin, let brokerPasscode { configuration.credentials = (brokerLogin, brokerPasscode) }
            let embedded = EmbeddedBroker(configuration: configuration, logger: logger)
            let address: SocketAddress
            do {
                address = try await embedded.start()
            } catch {
                throw CommandError(
                    "could not listen on \(brokerHost):\(brokerPort) for the embedded broker (\(error)); "
                        + "is another broker running there? Use --broker-port, or --broker URL to use that broker"
                )
            }
            Console.line("stomp-gateway: embedded STOMP broker listening on stomp://\(address.ipAddress ?? brokerHost):\(address.port ?? brokerPort)")
            services.append(embedded)
        } else {
            let client = try STOMPClient(configuration: broker.clientConfiguration(urls: urls), logger: logger)
            services.append(BrokerConnectionService(client: client, logger: logger))
            Console.line("stomp-gateway: using broker \(urls.map(\.description).joined(separator: ", "))")
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
        Console.line("stomp-gateway: stopped")
    }
}

/// Keeps the gateway's broker connection for the life of the service group.
struct BrokerConnectionService: Service {
    let client: STOMPClient
    let logger: Logger

    func run() async throws {
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        let policy = client.configuration.reconnect ?? STOMPReconnectPolicy()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await client.connect()
                Console.line("stomp-gateway: connected to \(client.connectedBroker?.description ?? "broker")")
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
