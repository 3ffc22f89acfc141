import NIOCore
import NIOHTTP1
import NIOWebSocket

extension PushHub {
    /// Adds the handlers of one browser connection to `pipeline`, after any TLS handler:
    /// NIO's HTTP/1.1 server codec and the gateway's router, which takes the connection
    /// over for `/stomp` (WebSocket) and `/events` (SSE) and hands every other request to
    /// `responder`. ``PushServer`` does this for each accepted connection; a harness can
    /// do it on an `EmbeddedChannel` or `NIOAsyncTestingChannel` whose event loop is
    /// one of the hub's.
    ///
    /// - Throws: what adding a handler to the pipeline throws.
    public func addConnectionHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations,
        responder: @escaping PushHTTPResponder
    ) throws {
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
        let encoder = HTTPResponseEncoder()
        let pipelining = HTTPServerPipelineHandler()
        try pipeline.addHandler(decoder)
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(pipelining)
        try pipeline.addHandler(
            PushHTTPHandler(
                hub: self,
                origins: OriginPolicy(allowed: settings.allowedOrigins),
                responder: responder,
                httpHandlers: .init(decoder: decoder, encoder: encoder, pipelining: pipelining)
            )
        )
    }

    /// The handlers of one STOMP-over-WebSocket session, in pipeline order, as `/stomp`
    /// installs them once the WebSocket handshake is done: NIO's WebSocket frame decoder,
    /// the RFC 6455 rules (pings, close, UTF-8, fragments, the size limit) and the STOMP
    /// session, which writes raw WebSocket frames as `ByteBuffer`s. `upgradeToken` is a
    /// token taken from the upgrade request, used when CONNECT carries none. The
    /// channel's event loop must be `loop`, one of the hub's.
    public func makeSTOMPWebSocketHandlers(upgradeToken: String?, on loop: any EventLoop) -> [any ChannelHandler] {
        [
            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: min(settings.maxFrameBytes, Int(UInt32.max)))),
            WebSocketProtocolHandler(maxMessageBytes: settings.maxFrameBytes, metrics: metrics, handshake: nil),
            STOMPWebSocketHandler(hub: self, fanout: fanout(for: loop), upgradeToken: upgradeToken),
        ]
    }
}
