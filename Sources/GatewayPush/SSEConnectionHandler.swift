import GatewayCore
import NIOCore

/// A Server-Sent Events stream (`GET /events`), after the HTTP handlers have left the
/// pipeline: it writes the response head itself, then chunks of shared event bytes.
/// Anything the client sends afterwards is ignored.
final class SSEConnectionHandler: PushConnection, ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Request {
        var destinations: [String]
        var starts: [PushHub.StartPoint]
        var allowOrigin: String?
        var keepAlive: Bool
        /// `?heartbeat=event`: heartbeats as `event: heartbeat` (visible to
        /// `EventSource` listeners, for a client-side watchdog) instead of comments.
        var heartbeatEvent = false
    }

    private let request: Request
    /// Positions per destination, for the `id:` of streams with several destinations.
    private var positions: [String] = []
    private let heartbeatNanoseconds: Int64

    init(hub: PushHub, fanout: LoopFanout, grant: AccessGrant, request: Request) {
        self.request = request
        self.heartbeatNanoseconds = hub.settings.sseHeartbeat.totalNanoseconds
        super.init(hub: hub, fanout: fanout, grant: grant)
    }

    override var isWebSocket: Bool { false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        fanout.register(self)
        hub.metrics.connectionOpened("sse")
        var head = "HTTP/1.1 200 OK\r\n"
        head += "Content-Type: text/event-stream; charset=utf-8\r\n"
        head += "Cache-Control: no-store\r\n"
        head += "X-Accel-Buffering: no\r\n"
        head += "Transfer-Encoding: chunked\r\n"
        head += "Connection: keep-alive\r\n"
        if let origin = request.allowOrigin {
            head += "Access-Control-Allow-Origin: \(origin)\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"
        }
        head += "\r\n"
        writeBytes(ByteBuffer(string: head))
        let base = hub.settings.sseRetryMilliseconds
        let retry = base + Int.random(in: 0...max(0, base))
        writeBytes(SSEWire.chunk("retry: \(retry)\n\n", allocator: context.channel.allocator))
        // Every destination has a position in the id from the start, also before its
        // first event: where it resumes from, or the start of this epoch.
        positions = request.starts.map { start in
            if case .after(let position) = start { return position.description }
            return "\(hub.epoch)-0"
        }
        for (index, destination) in request.destinations.enumerated() {
            let subscription = subscribe(destination: destination, id: String(index), index: index, start: request.starts[index])
            positions[index] = "\(subscription.epoch)-\(subscription.lastSequence)"
        }
        flushNow()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if self.context != nil {
            tearDown()
            hub.metrics.connectionClosed("sse")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The request is complete; a client has nothing more to say.
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.context != nil {
            tearDown()
            hub.metrics.connectionClosed("sse")
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { catchUp() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: PushConnection

    override func write(_ message: FeedMessage, for subscription: PushSubscription) {
        if positions.count == 1 {
            writeBytes(message.sseEventWithID)
        } else {
            positions[subscription.index] = message.position
            writeBytes(SSEWire.chunk("id: \(positions.joined(separator: ","))\n", allocator: context!.channel.allocator))
            writeBytes(message.sseEventWithoutID)
        }
    }

    override func writeGap(for subscription: PushSubscription, missed: UInt64, sequence: UInt64) {
        guard let context else { return }
        let position = "\(subscription.epoch)-\(sequence)"
        if subscription.index < positions.count { positions[subscription.index] = position }
        let id = positions.count == 1 ? position : positions.joined(separator: ",")
        let event =
            "id: \(id)\nevent: gap\ndata: {\"destination\":\(JSONText.quoted(subscription.destination)),\"missed\":\(missed),\"position\":\"\(position)\"}\n\n"
        writeBytes(SSEWire.chunk(event, allocator: context.channel.allocator))
    }

    override func end(code: String, message: String) {
        guard !ended, let context else { return }
        ended = true
        let event = "event: error\ndata: {\"code\":\(JSONText.quoted(code)),\"message\":\(JSONText.quoted(message))}\n\n"
        context.write(NIOAny(SSEWire.chunk(event, allocator: context.channel.allocator)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(SSEWire.end)).whenComplete { _ in channel.close(promise: nil) }
    }

    override func tick(now: NIODeadline, wallClock: Double) {
        super.tick(now: now, wallClock: wallClock)
        guard !ended, context != nil else { return }
        if (now - lastWrite).nanoseconds >= heartbeatNanoseconds, isWritable {
            writeBytes(request.heartbeatEvent ? SSEWire.heartbeatEvent : SSEWire.heartbeat)
        }
    }
}
