import NIOCore
import NIOWebSocket

/// The diagnostics route `/diagnostics/echo` (``PushSettings/webSocketEcho``): sends each
/// whole message back as it came, text as text and binary as binary. It sits behind the
/// same decoder and ``WebSocketProtocolHandler`` as `/stomp`, so that a conformance suite
/// (Autobahn's fuzzingclient) run against it tests the WebSocket stack browsers use.
final class WebSocketEchoHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let opcode = frame.opcode == .text ? WebSocketWire.text : WebSocketWire.binary
        let reply = WebSocketWire.frame(opcode: opcode, payload: frame.unmaskedData, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
