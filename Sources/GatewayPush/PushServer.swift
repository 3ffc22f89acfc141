import GatewayCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The gateway's HTTP listener: STOMP over WebSocket at `/stomp`, Server-Sent Events at
/// `/events`, and every other route through a ``PushHTTPResponder`` (the Hummingbird
/// router). Built on SwiftNIO channel handlers so that a delivery costs a write, not a
/// task (see ``FeedMessage`` and ``LoopFanout``).
///
/// ```swift
/// let server = try PushServer(host: "127.0.0.1", port: 8080, settings: settings, upstream: upstream,
///                             authenticator: authenticator, responder: responder, logger: logger)
/// let address = try await server.start()
/// ```
public final class PushServer: Service, Sendable {
    /// The feeds.
    public let hub: PushHub
    private let host: String
    private let port: Int
    private let settings: PushSettings
    private let responder: PushHTTPResponder
    private let tls: NIOSSLContext?
    private let group: any EventLoopGroup
    private let limiter: ConnectionLimiter
    private let logger: Logger
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    private let onListening: @Sendable (SocketAddress) -> Void

    /// Creates the server; nothing listens until ``start()``.
    ///
    /// - Throws: ``GatewayCore/DestinationPatternError`` for an invalid retain pattern.
    public init(
        host: String,
        port: Int,
        settings: PushSettings,
        upstream: any PushUpstream,
        authenticator: PushAuthenticator,
        responder: @escaping PushHTTPResponder,
        tls: NIOSSLContext? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }
    ) throws {
        self.host = host
        self.port = port
        self.settings = settings
        self.responder = responder
        self.tls = tls
        self.group = group
        self.logger = logger
        self.onListening = onListening
        self.limiter = ConnectionLimiter(maxTotal: settings.maxConnections, maxPerIP: settings.maxConnectionsPerIP)
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        self.hub = try PushHub(settings: settings, upstream: upstream, authenticator: authenticator, eventLoops: loops, logger: logger)
    }

    /// The bound address, once listening.
    public var localAddress: SocketAddress? { channel.withLockedValue { $0?.localAddress } }

    /// Open connections now (every kind).
    public var connectionCount: Int { limiter.total }

    /// Binds and starts the feeds.
    @discardableResult
    public func start() async throws -> SocketAddress {
        if let address = localAddress { return address }
        let hub = self.hub
        let limiter = self.limiter
        let settings = self.settings
        let responder = self.responder
        let tls = self.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: settings.sendQueueBytes / 2, high: settings.sendQueueBytes))
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let address = channel.remoteAddress?.ipAddress ?? "unknown"
                    if let refusal = limiter.acquire(address) {
                        let (status, code, message) =
                            refusal == .global
                            ? ("503 Service Unavailable", "global", "the gateway is at its connection limit (http.max_connections)")
                            : ("429 Too Many Requests", "per_ip", "too many connections from this address (http.max_connections_per_ip)")
                        hub.metrics.rejected(code)
                        let body = JSONText.errorBody("too_many_connections", message)
                        let response =
                            "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 5\r\nConnection: close\r\n\r\n\(body)"
                        channel.writeAndFlush(ByteBuffer(string: response)).whenComplete { _ in channel.close(promise: nil) }
                        return
                    }
                    channel.closeFuture.whenComplete { _ in limiter.release(address) }
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try hub.addConnectionHandlers(to: sync, responder: responder)
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        hub.start()
        let address = bound.localAddress!
        onListening(address)
        return address
    }

    /// Serves until graceful shutdown, then tells every browser to reconnect (with the
    /// `retry` hint and jitter) and closes.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops accepting, ends every browser connection with `shutting_down`, ends the
    /// upstream subscriptions.
    public func stop() async {
        let bound = channel.withLockedValue { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        guard let bound else { return }
        try? await bound.close()
        await hub.shutdownConnections()
        await hub.stop()
    }
}
