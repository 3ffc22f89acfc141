import NIOCore
import STOMPCore

/// The last handler of a client connection: hands CONNECTED (or the refusal) to the
/// connect call, every later frame to the client, and records why the channel closed.
final class STOMPClientHandler: ChannelInboundHandler {
    typealias InboundIn = STOMPPacket

    private let client: STOMPClient
    private let generation: Int
    private var connected: EventLoopPromise<STOMPFrame>?
    private var closeReason: String?

    init(client: STOMPClient, generation: Int, connected: EventLoopPromise<STOMPFrame>) {
        self.client = client
        self.generation = generation
        self.connected = connected
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = unwrapInboundIn(data) else { return }
        if let promise = connected {
            connected = nil
            switch frame.command {
            case .connected:
                promise.succeed(frame)
            case .error:
                promise.fail(STOMPClientError.server(frame))
            default:
                promise.fail(STOMPClientError.connectionLost("expected CONNECTED, got \(frame.command)"))
            }
            return
        }
        if frame.command == .error {
            closeReason = STOMPClientError.server(frame).description
        }
        client.handle(frame, generation: generation, channel: context.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeReason = closeReason ?? "\(error)"
        connected?.fail(error)
        connected = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = closeReason ?? "the broker closed the connection"
        connected?.fail(STOMPClientError.connectionLost(reason))
        connected = nil
        client.connectionClosed(generation: generation, reason: reason)
        context.fireChannelInactive()
    }
}
