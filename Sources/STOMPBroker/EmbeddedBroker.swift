import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import STOMPCore
import ServiceLifecycle

/// A STOMP 1.0–1.2 broker in the process: topics, queues, acknowledgements, receipts,
/// heart-beats, transactions and temporary reply queues.
///
/// `stomp-gateway serve` starts one when no external broker is named, so that the
/// whole flow runs with nothing installed.
///
/// ```swift
/// let broker = EmbeddedBroker(configuration: .init(host: "127.0.0.1", port: 61613))
/// let address = try await broker.start()
/// // … clients connect to address …
/// try await broker.stop()
/// ```
///
/// As a `Service` in a `ServiceGroup`, ``run()`` starts it and stops it on graceful
/// shutdown.
public final class EmbeddedBroker: Service, Sendable {
    /// The configuration in force.
    public let configuration: EmbeddedBrokerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    let router: BrokerRouter
    private let state = NIOLockedValueBox<(server: (any Channel)?, children: [ObjectIdentifier: any Channel])>((nil, [:]))

    /// Creates a broker; nothing listens until ``start()``.
    public init(
        configuration: EmbeddedBrokerConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "stomp-gateway.broker")
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        self.router = BrokerRouter(configuration: configuration)
    }

    /// The address the broker listens on, once started.
    public var localAddress: SocketAddress? {
        state.withLockedValue { $0.server?.localAddress }
    }

    /// Open client connections, connected or not.
    public var connectionCount: Int {
        state.withLockedValue { $0.children.count }
    }

    /// Messages waiting in a queue, not counting delivered-but-unacknowledged ones.
    public func queueDepth(_ destination: String) -> Int {
        router.depth(ofQueue: destination)
    }

    /// Binds the listener and returns its address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let router = self.router
        let logger = self.logger
        let limits = configuration.parserLimits
        let state = self.state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let id = ObjectIdentifier(channel)
                    state.withLockedValue { $0.children[id] = channel }
                    channel.closeFuture.whenComplete { _ in _ = state.withLockedValue { $0.children.removeValue(forKey: id) } }
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STOMPFrameDecoder(limits: limits)))
                    try channel.pipeline.syncOperations.addHandler(BrokerConnectionHandler(router: router, logger: logger))
                }
            }
        let server = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        state.withLockedValue { $0.server = server }
        let address = server.localAddress!
        logger.info("embedded STOMP broker listening", metadata: ["address": "\(address)"])
        return address
    }

    /// Stops listening and closes every connection. Unacknowledged messages are lost
    /// with the process: the embedded broker keeps its queues in memory only.
    public func stop() async throws {
        let (server, children) = state.withLockedValue { state in
            let result = (state.server, Array(state.children.values))
            state.server = nil
            return result
        }
        try? await server?.close()
        for child in children { try? await child.close() }
    }

    /// Starts the broker if needed, runs until graceful shutdown, then stops it.
    public func run() async throws {
        if localAddress == nil { try await start() }
        try? await gracefulShutdown()
        try await stop()
    }
}
