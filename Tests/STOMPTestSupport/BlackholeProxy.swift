import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that forwards to a target until told to black-hole:
/// then it keeps every connection open but forwards nothing either way, as a
/// network partition does.
public final class BlackholeProxy: Sendable {
    private let server: any Channel
    private let blackholed: NIOLockedValueBox<Bool>

    /// The port clients should connect to.
    public var port: Int { server.localAddress!.port! }

    private init(server: any Channel, blackholed: NIOLockedValueBox<Bool>) {
        self.server = server
        self.blackholed = blackholed
    }

    /// Starts a proxy to `targetHost:targetPort`.
    public static func start(targetHost: String = "127.0.0.1", targetPort: Int) async throws -> BlackholeProxy {
        let blackholed = NIOLockedValueBox(false)
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: targetHost, port: targetPort)
                    .flatMap { outbound in
                        // Both channels live on the same event loop, so sync operations are safe here.
                        inbound.eventLoop.makeCompletedFuture {
                            try inbound.pipeline.syncOperations.addHandler(Glue(peer: outbound, blackholed: blackholed))
                            try outbound.pipeline.syncOperations.addHandler(Glue(peer: inbound, blackholed: blackholed))
                        }.flatMap {
                            inbound.setOption(.autoRead, value: true)
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return BlackholeProxy(server: server, blackholed: blackholed)
    }

    /// Stops (true) or resumes (false) forwarding.
    public func setBlackholed(_ value: Bool) {
        blackholed.withLockedValue { $0 = value }
    }

    /// Closes the listener.
    public func close() async {
        try? await server.close()
    }
}

private final class Glue: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let blackholed: NIOLockedValueBox<Bool>

    init(peer: any Channel, blackholed: NIOLockedValueBox<Bool>) {
        self.peer = peer
        self.blackholed = blackholed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !blackholed.withLockedValue({ $0 }) else { return }
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A partitioned network delivers no FIN either: while black-holed, the other side
        // is left open and silent.
        if !blackholed.withLockedValue({ $0 }) { peer.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
