import GatewayCore
import NIOCore
import NIOWebSocket
import STOMPCore

/// STOMP over WebSocket (`/stomp`): one browser's STOMP session, on whole WebSocket
/// messages from NIO's decoder and ``WebSocketProtocolHandler`` (which answers pings and
/// close frames and enforces the RFC 6455 rules and the size limit). Replies and feed
/// messages are written as raw frames (see ``FeedMessage``); no WebSocket encoder sits in
/// the pipeline.
final class STOMPWebSocketHandler: PushConnection, ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case awaitingConnect
        case authenticating
        case connected
        case closing
    }

    private var phase = Phase.awaitingConnect
    private var parser: STOMPParser
    private var version = STOMPVersion.v1_2
    private let upgradeToken: String?
    private var pending: [STOMPFrame] = []
    private var byID: [String: PushSubscription] = [:]
    private var sendEvery: Int64 = 0
    private var expectEvery: Int64 = 0
    private var lastRead = NIODeadline.now()
    private let connectDeadline: NIODeadline
    private static let supportedVersions: [STOMPVersion] = [.v1_0, .v1_1, .v1_2]

    /// `upgradeToken` is the token the upgrade request carried, if any.
    init(hub: PushHub, fanout: LoopFanout, upgradeToken: String?) {
        self.upgradeToken = upgradeToken
        self.parser = STOMPParser(
            limits: STOMPParserLimits(
                maxHeaderLineLength: min(16 * 1024, hub.settings.maxFrameBytes),
                maxHeaderCount: 64,
                maxBodySize: hub.settings.maxFrameBytes,
                maxFrameSize: hub.settings.maxFrameBytes
            )
        )
        self.connectDeadline = .now() + .nanoseconds(hub.settings.handshakeTimeout.totalNanoseconds)
        super.init(hub: hub, fanout: fanout, grant: .anonymous(.none))
    }

    override var isWebSocket: Bool { true }

    // MARK: Channel

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        fanout.register(self)
        hub.metrics.connectionOpened("websocket")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard context != nil else { return }
        tearDown()
        hub.metrics.connectionClosed("websocket")
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { catchUp() }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastRead = .now()
        switch frame.opcode {
        case .text, .binary:
            var bytes = frame.unmaskedData
            parseFrames(&bytes)
        default:
            break  // control frames are answered by WebSocketProtocolHandler
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: STOMP

    private func parseFrames(_ bytes: inout ByteBuffer) {
        while phase != .closing {
            do {
                switch try parser.parse(&bytes) {
                case .frame(let frame):
                    if phase == .authenticating {
                        pending.append(frame)
                    } else {
                        handle(frame)
                    }
                case .heartbeat:
                    continue
                case .needMoreData:
                    return
                }
            } catch {
                let tooLarge = "\(error)".contains("limit") || "\(error)".contains("exceeds")
                hub.metrics.frameRejected(tooLarge ? "too_large" : "bad_frame")
                sendError("malformed frame", detail: "\(error)", code: tooLarge ? "too_large" : "bad_frame")
                return
            }
        }
    }

    private func handle(_ frame: STOMPFrame) {
        switch frame.command {
        case .connect, .stomp:
            guard phase == .awaitingConnect else {
                sendError("already connected", detail: "a session sends CONNECT once")
                return
            }
            connect(frame)
        default:
            guard phase == .connected else {
                sendError(
                    "expected CONNECT first",
                    detail: "the first frame of a STOMP session must be CONNECT or STOMP, got \(frame.command.rawValue)"
                )
                return
            }
            switch frame.command {
            case .subscribe: subscribe(frame)
            case .unsubscribe: unsubscribe(frame)
            case .send: send(frame)
            case .ack, .nack: receipt(for: frame)
            case .disconnect: disconnect(frame)
            case .begin, .commit, .abort:
                sendError("transactions are not supported", detail: "the gateway forwards each SEND on its own; send without a transaction")
            default:
                sendError("unexpected \(frame.command.rawValue) frame", detail: "a client does not send \(frame.command.rawValue)")
            }
        }
    }

    private func connect(_ frame: STOMPFrame) {
        let offered = (frame.headers[STOMPHeaderName.acceptVersion] ?? "1.0").split(separator: ",").map { String($0).trimmedOfSpaces() }
        guard let chosen = Self.supportedVersions.last(where: { offered.contains($0.rawValue) }) else {
            sendError("unsupported STOMP version", detail: "supported versions are 1.0, 1.1 and 1.2; offered \(offered.joined(separator: ","))")
            return
        }
        version = chosen
        parser.version = chosen
        // Both sides' values are at most STOMPHeartBeat.maximumMilliseconds, so the
        // nanoseconds below (and twice them) cannot overflow.
        let remote = frame.headers[STOMPHeaderName.heartBeat].flatMap(STOMPHeartBeat.init(headerValue:)) ?? .none
        let local = STOMPHeartBeat(outgoing: hub.settings.stompHeartbeatSendMilliseconds, incoming: hub.settings.stompHeartbeatReceiveMilliseconds)
        let intervals = STOMPHeartBeat.negotiate(local: local, remote: remote)
        sendEvery = Int64(intervals.send ?? 0) * 1_000_000
        expectEvery = Int64(intervals.receive ?? 0) * 1_000_000
        // A passcode that is not JWT-shaped (`guest`, from a client written for a
        // broker) is not a token: the connection gets the public grants.
        let token =
            frame.headers[STOMPHeaderName.passcode].flatMap { $0.split(separator: ".", omittingEmptySubsequences: false).count == 3 ? $0 : nil }
            ?? PushAuthenticator.bearer(frame.headers["Authorization"] ?? frame.headers["authorization"])
            ?? upgradeToken
        phase = .authenticating
        authenticate(token) { [self] result in
            switch result {
            case .failure(let error):
                hub.metrics.authDenied(error.code)
                sendError(error.code == "token_expired" ? "token expired" : "invalid token", detail: error.message, code: error.code)
            case .success(let grant):
                self.grant = grant
                phase = .connected
                var headers: STOMPHeaders = [
                    STOMPHeaderName.version: version.rawValue,
                    STOMPHeaderName.heartBeat: local.headerValue,
                    STOMPHeaderName.server: "stomp-gateway/1",
                    STOMPHeaderName.session: hub.epoch + "-" + String(UInt(bitPattern: ObjectIdentifier(self).hashValue), radix: 36),
                ]
                if let subject = grant.subject { headers.add(name: "user-name", value: subject) }
                writeFrame(STOMPFrame(.connected, headers: headers))
                let queued = pending
                pending = []
                for frame in queued where phase == .connected { handle(frame) }
            }
        }
    }

    /// Verifies `token` off the loop and continues on it, if the connection is still open.
    private func authenticate(_ token: String?, then: @escaping (Result<AccessGrant, TokenError>) -> Void) {
        guard let context else { return }
        let authenticator = hub.authenticator
        context.eventLoop.makeFutureWithTask { await authenticator.authenticate(token) }
            .assumeIsolated()
            .whenSuccess { [self] result in
                guard self.context != nil, phase != .closing else { return }
                then(result)
            }
    }

    private func subscribe(_ frame: STOMPFrame) {
        guard let destination = frame.headers[STOMPHeaderName.destination], !destination.isEmpty else {
            sendError("SUBSCRIBE needs a destination header", detail: "")
            return
        }
        guard Self.isAcceptable(destination: destination) else {
            sendError("invalid destination", detail: Self.destinationRule, receiptID: frame.headers[STOMPHeaderName.receipt], code: "bad_request")
            return
        }
        guard let id = frame.headers[STOMPHeaderName.id] ?? (version == .v1_0 ? destination : nil) else {
            sendError("SUBSCRIBE needs an id header", detail: "STOMP 1.1 and 1.2 require an id on SUBSCRIBE")
            return
        }
        guard byID[id] == nil else {
            sendError("subscription id \(id) is already in use", detail: "")
            return
        }
        guard subscriptions.count < hub.settings.maxSubscriptionsPerConnection else {
            hub.metrics.frameRejected("limit")
            sendError(
                "too many subscriptions",
                detail: "at most \(hub.settings.maxSubscriptionsPerConnection) subscriptions per connection (http.max_subscriptions_per_connection)"
            )
            return
        }
        if let denial = grant.grants.check(.subscribe, destination) {
            hub.metrics.authDenied("forbidden")
            sendError(
                denial.description,
                detail: grant.subject == nil && grant.expiresAt == nil ? "no token was given" : "",
                receiptID: frame.headers[STOMPHeaderName.receipt],
                code: "forbidden"
            )
            return
        }
        guard let start = PushHub.StartPoint(since: frame.headers["since"]) else {
            sendError(
                "invalid since header",
                detail: "since is latest, all, live or a position EPOCH-SEQUENCE from a message-id; got \(frame.headers["since"] ?? "")"
            )
            return
        }
        receipt(for: frame)
        let version = self.version
        let allocator = context!.channel.allocator
        let subscription = subscribe(destination: destination, id: id, index: 0, start: start) { subscription in
            var head = allocator.buffer(capacity: 64)
            head.writeStaticString("MESSAGE\n")
            STOMPEncoder.encodeHeader(name: "subscription", value: id, escaped: version != .v1_0, version: version, into: &head)
            var text = allocator.buffer(capacity: head.readableBytes + 4)
            WebSocketWire.writeFrameHeader(opcode: WebSocketWire.text, fin: false, length: head.readableBytes, into: &text)
            text.writeImmutableBuffer(head)
            var binary = allocator.buffer(capacity: head.readableBytes + 4)
            WebSocketWire.writeFrameHeader(opcode: WebSocketWire.binary, fin: false, length: head.readableBytes, into: &binary)
            binary.writeImmutableBuffer(head)
            subscription.textPrefix = text
            subscription.binaryPrefix = binary
        }
        byID[id] = subscription
        flushNow()
    }

    private static let destinationRule = "a destination has no control characters and at most 1024 bytes"

    /// Like `/events`: no control characters (CR, LF, NUL…), at most 1 024 bytes.
    private static func isAcceptable(destination: String) -> Bool {
        destination.utf8.count <= 1024 && !destination.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
    }

    private func unsubscribe(_ frame: STOMPFrame) {
        guard let id = frame.headers[STOMPHeaderName.id] ?? frame.headers[STOMPHeaderName.destination] else {
            sendError("UNSUBSCRIBE needs an id header", detail: "")
            return
        }
        if let subscription = byID.removeValue(forKey: id) { unsubscribe(subscription) }
        receipt(for: frame)
    }

    private func send(_ frame: STOMPFrame) {
        guard let destination = frame.headers[STOMPHeaderName.destination], !destination.isEmpty else {
            sendError("SEND needs a destination header", detail: "")
            return
        }
        guard Self.isAcceptable(destination: destination) else {
            sendError("invalid destination", detail: Self.destinationRule, receiptID: frame.headers[STOMPHeaderName.receipt], code: "bad_request")
            return
        }
        // A NUL in a header would reach other subscribers raw (STOMP cannot escape it),
        // where clients that split frames at NUL would see a forged frame.
        if frame.headers.contains(where: { $0.name.utf8.contains(0) || $0.value.utf8.contains(0) }) {
            sendError("invalid header", detail: "header names and values may not contain NUL", code: "bad_frame")
            return
        }
        if destination == "/gateway/token" {
            refreshToken(frame)
            return
        }
        if frame.headers.contains(name: STOMPHeaderName.transaction) {
            sendError("transactions are not supported", detail: "the gateway forwards each SEND on its own; send without a transaction")
            return
        }
        if let denial = grant.grants.check(.publish, destination) {
            hub.metrics.authDenied("forbidden")
            hub.metrics.published("denied")
            sendError(denial.description, detail: "", receiptID: frame.headers[STOMPHeaderName.receipt], code: "forbidden")
            return
        }
        let skipped: Set<String> = [STOMPHeaderName.destination, STOMPHeaderName.receipt, STOMPHeaderName.contentLength, STOMPHeaderName.transaction]
        let headers = frame.headers.filter { !skipped.contains($0.name) }.map { (name: $0.name, value: $0.value) }
        let receiptID = frame.headers[STOMPHeaderName.receipt]
        let upstream = hub.upstream
        let body = frame.body
        guard let context else { return }
        context.eventLoop.makeFutureWithTask {
            try await upstream.publish(destination: destination, headers: headers, body: body, receipt: receiptID != nil)
        }
        .assumeIsolated()
        .whenComplete { [self] result in
            guard self.context != nil, phase == .connected else { return }
            switch result {
            case .success:
                hub.metrics.published("ok")
                if let receiptID { writeFrame(STOMPFrame(.receipt, headers: [STOMPHeaderName.receiptID: receiptID])) }
                flushNow()
            case .failure(let error):
                hub.metrics.published("failed")
                sendError("could not forward SEND to \(destination)", detail: "the broker did not take it: \(error)", receiptID: receiptID)
            }
        }
    }

    private func refreshToken(_ frame: STOMPFrame) {
        let token = frame.bodyString.trimmedOfSpaces().trimmingCharacters(in: "\r\n")
        phase = .authenticating
        authenticate(token) { [self] result in
            switch result {
            case .failure(let error):
                hub.metrics.authDenied(error.code)
                sendError("token refresh refused", detail: error.message, receiptID: frame.headers[STOMPHeaderName.receipt], code: error.code)
            case .success(let grant):
                if let lost = subscriptions.first(where: { grant.grants.check(.subscribe, $0.destination) != nil }) {
                    hub.metrics.authDenied("forbidden")
                    sendError("the new token does not allow subscribing to \(lost.destination)", detail: "", code: "forbidden")
                    return
                }
                self.grant = grant
                phase = .connected
                receipt(for: frame)
                flushNow()
                let queued = pending
                pending = []
                for frame in queued where phase == .connected { handle(frame) }
            }
        }
    }

    private func disconnect(_ frame: STOMPFrame) {
        receipt(for: frame)
        phase = .closing
        ended = true
        guard let context else { return }
        let channel = context.channel
        context.triggerUserOutboundEvent(WebSocketProtocolHandler.CloseSent(), promise: nil)
        context.writeAndFlush(NIOAny(WebSocketWire.closeFrame(code: 1000, reason: "", allocator: channel.allocator)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func receipt(for frame: STOMPFrame) {
        guard let id = frame.headers[STOMPHeaderName.receipt] else { return }
        writeFrame(STOMPFrame(.receipt, headers: [STOMPHeaderName.receiptID: id]))
        flushNow()
    }

    private func writeFrame(_ frame: STOMPFrame) {
        guard let context else { return }
        let bytes = STOMPEncoder.encode(frame, version: version, allocator: context.channel.allocator)
        writeBytes(WebSocketWire.frame(opcode: WebSocketWire.text, payload: bytes, allocator: context.channel.allocator))
    }

    /// Sends ERROR (`message` header, `detail` body), then closes: STOMP's rule.
    private func sendError(_ message: String, detail: String, receiptID: String? = nil, code: String? = nil) {
        guard let context, phase != .closing else { return }
        var headers: STOMPHeaders = [STOMPHeaderName.message: message, STOMPHeaderName.contentType: "text/plain"]
        if let receiptID { headers.add(name: STOMPHeaderName.receiptID, value: receiptID) }
        // Every ERROR says why in a word a page can switch on (docs/BROWSER-PUSH.md).
        headers.add(name: "gateway-code", value: code ?? "protocol_error")
        if code == "shutting_down" {
            // Like SSE's `retry:`: sse.retry_ms plus up to 100 % jitter, so that a deploy does
            // not bring every browser back in the same second.
            let base = hub.settings.sseRetryMilliseconds
            headers.add(name: "retry-after-ms", value: String(base + Int.random(in: 0...max(0, base))))
        }
        writeFrame(STOMPFrame(.error, headers: headers, body: detail.isEmpty ? message : detail))
        phase = .closing
        ended = true
        let channel = context.channel
        context.triggerUserOutboundEvent(WebSocketProtocolHandler.CloseSent(), promise: nil)
        context.writeAndFlush(NIOAny(WebSocketWire.closeFrame(code: 1000, reason: "", allocator: channel.allocator)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: PushConnection

    override func write(_ message: FeedMessage, for subscription: PushSubscription) {
        writeBytes(message.isText ? subscription.textPrefix : subscription.binaryPrefix)
        writeBytes(message.webSocketTail)
    }

    override func writeGap(for subscription: PushSubscription, missed: UInt64, sequence: UInt64) {
        let position = "\(subscription.epoch)-\(sequence)"
        writeFrame(
            STOMPFrame(
                .message,
                headers: [
                    STOMPHeaderName.subscription: subscription.id,
                    STOMPHeaderName.destination: subscription.destination,
                    STOMPHeaderName.messageID: position,
                    "gateway-gap": "true",
                    "gateway-missed": String(missed),
                    "gateway-position": position,
                ]
            )
        )
    }

    override func end(code: String, message: String) {
        let summary: String
        switch code {
        case "token_expired": summary = "token expired"
        case "slow_consumer": summary = "slow consumer"
        case "shutting_down": summary = "shutting down"
        default: summary = code
        }
        sendError(summary, detail: message, code: code)
    }

    override func tick(now: NIODeadline, wallClock: Double) {
        guard context != nil, phase != .closing else { return }
        if phase == .awaitingConnect || phase == .authenticating {
            if now > connectDeadline {
                hub.metrics.rejected("handshake_timeout")
                sendError(
                    "no CONNECT in time",
                    detail: "send CONNECT within \(hub.settings.handshakeTimeout) of opening the WebSocket",
                    code: "handshake_timeout"
                )
            }
            return
        }
        super.tick(now: now, wallClock: wallClock)
        guard phase == .connected else { return }
        if expectEvery > 0 && (now - lastRead).nanoseconds > 2 * expectEvery {
            sendError("heart-beat timeout", detail: "nothing received for \(2 * expectEvery / 1_000_000) ms", code: "heartbeat_timeout")
            return
        }
        if sendEvery > 0 && (now - lastWrite).nanoseconds >= sendEvery - 125_000_000 && isWritable {
            writeBytes(WebSocketWire.heartbeat)
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
