import NIOCore
import NIOWebSocket

/// The RFC 6455 rules of every WebSocket route (`/stomp`, and `/diagnostics/echo` when
/// diagnostics are on), between NIO's `WebSocketFrameDecoder` and the route's handler:
///
/// - writes the handshake response (`101 Switching Protocols`) when added;
/// - answers pings with pongs carrying the same payload (also between the fragments of a
///   message) and ignores unsolicited pongs;
/// - assembles fragmented messages and passes on only whole text or binary messages, as
///   one unmasked `WebSocketFrame` with `fin` set;
/// - checks text messages are UTF-8, fragment by fragment (so that a bad message is
///   refused before it ends): otherwise close 1007;
/// - refuses reserved bits, reserved opcodes, unmasked client frames, a continuation
///   without a message to continue, a new message before the last one ended, and control
///   frames that are fragmented or longer than 125 bytes: close 1002;
/// - refuses messages larger than `maxMessageBytes` (in one frame or in fragments): close 1009;
/// - answers a close frame by echoing its code (1000 when it had none), after checking the
///   code may be sent on the wire and the reason is UTF-8 (1002 / 1007 otherwise), then
///   closes the connection.
///
/// After a close frame has been sent, everything received is ignored. The route's handler
/// writes its own frames as raw bytes (``WebSocketWire``); when it writes a close frame it
/// says so with the outbound event ``CloseSent``, so that no pong or second close follows
/// (found by fuzzing: a ping after the STOMP handler's close was still answered).
final class WebSocketProtocolHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The outbound event a route's handler triggers after writing its own close frame.
    struct CloseSent {}

    private let maxMessageBytes: Int
    private let metrics: PushMetrics?
    private var handshake: ByteBuffer?
    /// The opcode of the fragmented message being received, if one is.
    private var messageOpcode: WebSocketOpcode?
    private var message: ByteBuffer?
    private var utf8 = UTF8Validator()
    private var closing = false

    /// `handshake` (the 101 response; `nil` in tests) is written when the handler is added.
    init(maxMessageBytes: Int, metrics: PushMetrics?, handshake: ByteBuffer?) {
        self.maxMessageBytes = maxMessageBytes
        self.metrics = metrics
        self.handshake = handshake
    }

    /// Whether `code` may be sent in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014
    /// and 3000–4999. 1005, 1006 and 1015 are for reporting only; the rest of 1000–2999 is
    /// unassigned; below 1000 and above 4999 is not used.
    static func isValidCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let handshake {
            self.handshake = nil
            context.writeAndFlush(wrapOutboundOut(handshake), promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        guard !frame.rsv1 && !frame.rsv2 && !frame.rsv3 else {
            fail(context: context, code: 1002, reason: "reserved bits set without a negotiated extension")
            return
        }
        guard frame.maskKey != nil else {
            fail(context: context, code: 1002, reason: "a client's frames must be masked")
            return
        }
        switch frame.opcode {
        case .text, .binary:
            guard messageOpcode == nil else {
                fail(context: context, code: 1002, reason: "a new message began before the previous one ended")
                return
            }
            let payload = frame.unmaskedData
            if frame.opcode == .text {
                utf8 = UTF8Validator()
                guard utf8.feed(payload) else {
                    fail(context: context, code: 1007, reason: "a text message must be UTF-8")
                    return
                }
            }
            if frame.fin {
                deliver(context: context, opcode: frame.opcode, payload: payload)
            } else {
                messageOpcode = frame.opcode
                message = payload
            }
        case .continuation:
            guard let opcode = messageOpcode, var message else {
                fail(context: context, code: 1002, reason: "a continuation frame without a message to continue")
                return
            }
            guard message.readableBytes + frame.length <= maxMessageBytes else {
                self.message = nil
                fail(context: context, code: 1009, reason: "message larger than \(maxMessageBytes) bytes")
                return
            }
            var payload = frame.unmaskedData
            if opcode == .text {
                guard utf8.feed(payload) else {
                    self.message = nil
                    fail(context: context, code: 1007, reason: "a text message must be UTF-8")
                    return
                }
            }
            self.message = nil  // keep the buffer uniquely referenced while it grows
            message.writeBuffer(&payload)
            if frame.fin {
                messageOpcode = nil
                deliver(context: context, opcode: opcode, payload: message)
            } else {
                self.message = message
            }
        case .ping:
            let pong = WebSocketWire.frame(opcode: WebSocketWire.pong, payload: frame.unmaskedData, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            receivedClose(context: context, payload: frame.unmaskedData)
        default:
            fail(context: context, code: 1002, reason: "reserved opcode \(frame.opcode)")
        }
    }

    private func deliver(context: ChannelHandlerContext, opcode: WebSocketOpcode, payload: ByteBuffer) {
        if opcode == .text && !utf8.isComplete {
            fail(context: context, code: 1007, reason: "a text message must be UTF-8")
            return
        }
        context.fireChannelRead(wrapInboundOut(WebSocketFrame(fin: true, opcode: opcode, data: payload)))
    }

    private func receivedClose(context: ChannelHandlerContext, payload: ByteBuffer) {
        var payload = payload
        var code: UInt16 = 1000
        if payload.readableBytes > 0 {
            guard let received = payload.readInteger(as: UInt16.self) else {
                fail(context: context, code: 1002, reason: "a close frame's payload is empty or at least 2 bytes")
                return
            }
            guard Self.isValidCloseCode(received) else {
                fail(context: context, code: 1002, reason: "close code \(received) may not be sent")
                return
            }
            guard UTF8Validator.isValid(payload) else {
                fail(context: context, code: 1007, reason: "a close reason must be UTF-8")
                return
            }
            code = received
        }
        close(context: context, code: code, reason: "")
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is CloseSent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        closing = true
        messageOpcode = nil
        message = nil
        promise?.succeed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? NIOWebSocketError else {
            context.close(promise: nil)
            return
        }
        switch error {
        case .invalidFrameLength:
            fail(context: context, code: 1009, reason: "message larger than \(maxMessageBytes) bytes")
        case .fragmentedControlFrame:
            fail(context: context, code: 1002, reason: "a control frame may not be fragmented")
        case .multiByteControlFrameLength:
            fail(context: context, code: 1002, reason: "a control frame may carry at most 125 bytes")
        }
    }

    /// Refuses what the peer sent: counts it, sends a close frame with `code`, and closes.
    private func fail(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard !closing else { return }
        metrics?.frameRejected(code == 1009 ? "too_large" : "bad_frame")
        close(context: context, code: code, reason: reason)
    }

    private func close(context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard !closing else { return }
        closing = true
        messageOpcode = nil
        message = nil
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketWire.closeFrame(code: code, reason: reason, allocator: channel.allocator)))
            .whenComplete { _ in channel.close(promise: nil) }
    }
}
