import Logging
import NIOCore
import STOMPCore

/// Speaks STOMP with one client of the embedded broker.
///
/// Lifecycle: the connection must send CONNECT (or STOMP) within the connect timeout;
/// any other frame first is a protocol error. Every protocol error is answered with an
/// ERROR frame whose `message` says what was wrong, then the connection is closed; the
/// broker and its other clients carry on.
final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = STOMPPacket
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingConnect
        case connected(BrokerSession)
        case closing
    }

    private let router: BrokerRouter
    private let logger: Logger
    private var state = State.awaitingConnect
    /// The registered session, kept through `.closing` so that it is always unregistered.
    private var session: BrokerSession?
    private var transactions: [String: [STOMPFrame]] = [:]
    private var connectTimeout: Scheduled<Void>?

    init(router: BrokerRouter, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    private var configuration: EmbeddedBrokerConfiguration { router.configuration }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        connectTimeout = context.eventLoop.scheduleTask(in: configuration.connectTimeout) {
            let (handler, context) = loopBound.value
            guard case .awaitingConnect = handler.state else { return }
            handler.router.metrics.rejected("connect_timeout")
            handler.fail(context: context, message: "connect timeout: no CONNECT frame within the broker's connect timeout")
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectTimeout?.cancel()
        unregisterSession()
        state = .closing
        transactions.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let parseError as STOMPParseError:
            fail(context: context, message: parseError.description)
        case let timeout as STOMPHeartBeatTimeoutError:
            logger.info("closing silent connection", metadata: ["reason": "\(timeout)"])
            state = .closing
            context.close(promise: nil)
        default:
            logger.debug("connection error", metadata: ["error": "\(error)"])
            state = .closing
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .frame(let frame) = unwrapInboundIn(data) else { return }
        switch state {
        case .closing:
            return
        case .awaitingConnect:
            guard frame.command == .connect || frame.command == .stomp else {
                fail(
                    context: context,
                    message: "expected a CONNECT or STOMP frame first, got \(frame.command)",
                    receiptID: frame.headers[STOMPHeaderName.receipt]
                )
                return
            }
            connect(frame, context: context)
        case .connected(let session):
            do {
                try handle(frame, session: session, context: context)
            } catch {
                fail(context: context, message: error.description, receiptID: frame.headers[STOMPHeaderName.receipt])
            }
        }
    }

    // MARK: CONNECT

    private func connect(_ frame: STOMPFrame, context: ChannelHandlerContext) {
        connectTimeout?.cancel()
        let offered = frame.headers[STOMPHeaderName.acceptVersion]
        guard let version = STOMPVersion.negotiate(acceptVersion: offered) else {
            fail(
                context: context,
                message: "unsupported STOMP version '\(offered ?? "")': this broker speaks 1.0, 1.1 and 1.2",
                extraHeaders: [STOMPHeaderName.version: STOMPVersion.acceptVersionHeader()]
            )
            return
        }
        if let credentials = configuration.credentials {
            guard frame.headers[STOMPHeaderName.login] == credentials.login,
                frame.headers[STOMPHeaderName.passcode] == credentials.passcode
            else {
                router.metrics.rejected("auth")
                fail(context: context, message: "access refused: wrong login or passcode", version: version)
                return
            }
        }
        guard router.sessionCount < configuration.maxConnections else {
            router.metrics.rejected("max_connections")
            fail(
                context: context,
                message: "too many connections: the broker allows \(configuration.maxConnections) (maxConnections); retry later",
                version: version
            )
            return
        }
        var clientHeartBeat = STOMPHeartBeat.none
        if let value = frame.headers[STOMPHeaderName.heartBeat] {
            guard let parsed = STOMPHeartBeat(headerValue: value) else {
                fail(context: context, message: "invalid heart-beat '\(value)': expected two numbers, as in 10000,10000", version: version)
                return
            }
            clientHeartBeat = parsed
        }
        let session = BrokerSession(id: router.makeSessionID(), channel: context.channel, version: version)
        router.register(session)
        self.session = session
        state = .connected(session)

        var headers: STOMPHeaders = [
            STOMPHeaderName.version: version.rawValue,
            STOMPHeaderName.server: "stomp-gateway-broker/0.1",
            STOMPHeaderName.session: "session-\(session.id)",
        ]
        if version >= .v1_1 {
            headers.add(name: STOMPHeaderName.heartBeat, value: configuration.heartBeat.headerValue)
        }
        write(STOMPFrame(.connected, headers: headers), version: version, context: context)

        let intervals = STOMPHeartBeat.negotiate(local: configuration.heartBeat, remote: clientHeartBeat)
        if version >= .v1_1, intervals.send != nil || intervals.receive != nil {
            let handler = STOMPHeartBeatHandler(intervals: intervals, tolerance: configuration.heartBeatTolerance)
            do {
                let decoder = try context.pipeline.syncOperations.handler(type: ByteToMessageHandler<STOMPFrameDecoder>.self)
                try context.pipeline.syncOperations.addHandler(handler, position: .before(decoder))
            } catch {
                logger.error("could not install heart-beat handler", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: Frames after CONNECT

    private func handle(_ frame: STOMPFrame, session: BrokerSession, context: ChannelHandlerContext) throws(BrokerError) {
        let headers = frame.headers
        if let transaction = headers[STOMPHeaderName.transaction], [.send, .ack, .nack].contains(frame.command) {
            guard transactions[transaction] != nil else { throw .unknownTransaction(transaction) }
            guard transactions[transaction]!.count < configuration.maxTransactionFrames else {
                throw .transactionTooLarge(configuration.maxTransactionFrames)
            }
            var buffered = frame
            buffered.headers[STOMPHeaderName.transaction] = nil
            buffered.headers[STOMPHeaderName.receipt] = nil
            transactions[transaction]!.append(buffered)
            sendReceiptIfAsked(frame, session: session, context: context)
            return
        }
        switch frame.command {
        case .send:
            let destination = try require(STOMPHeaderName.destination, in: frame)
            try router.send(frame, destination: destination)
        case .subscribe:
            let destination = try require(STOMPHeaderName.destination, in: frame)
            // STOMP 1.0 allows a SUBSCRIBE without id; the destination then names it.
            let id: String
            if let given = headers[STOMPHeaderName.id] {
                id = given
            } else if session.version == .v1_0 {
                id = destination
            } else {
                throw .missingHeader(STOMPHeaderName.id, command: frame.command.rawValue)
            }
            let ackValue = headers[STOMPHeaderName.ack] ?? "auto"
            guard let ackMode = STOMPAckMode(rawValue: ackValue) else {
                throw .invalidHeader(STOMPHeaderName.ack, value: ackValue, expected: "auto, client or client-individual")
            }
            let prefetch = (headers["prefetch-count"] ?? headers["activemq.prefetchSize"]).flatMap { Int($0) }
            try router.subscribe(sessionID: session.id, id: id, destination: destination, ackMode: ackMode, prefetch: prefetch)
        case .unsubscribe:
            guard let id = headers[STOMPHeaderName.id] ?? headers[STOMPHeaderName.destination] else {
                throw .missingHeader(STOMPHeaderName.id, command: frame.command.rawValue)
            }
            try router.unsubscribe(sessionID: session.id, id: id)
        case .ack, .nack:
            // 1.2 names the message by `id` (our `ack` header); 1.0/1.1 by `message-id`.
            let name = session.version >= .v1_2 ? STOMPHeaderName.id : STOMPHeaderName.messageID
            let messageID = try require(name, in: frame)
            router.acknowledge(sessionID: session.id, messageID: messageID, requeue: frame.command == .nack)
        case .begin:
            let transaction = try require(STOMPHeaderName.transaction, in: frame)
            guard transactions[transaction] == nil else { throw .duplicateTransaction(transaction) }
            transactions[transaction] = []
        case .commit:
            let transaction = try require(STOMPHeaderName.transaction, in: frame)
            guard let frames = transactions.removeValue(forKey: transaction) else { throw .unknownTransaction(transaction) }
            for buffered in frames { try handle(buffered, session: session, context: context) }
        case .abort:
            let transaction = try require(STOMPHeaderName.transaction, in: frame)
            guard transactions.removeValue(forKey: transaction) != nil else { throw .unknownTransaction(transaction) }
        case .disconnect:
            state = .closing
            transactions.removeAll()
            // Leave the router now, so that nothing more is dispatched to a closing
            // connection (an auto-ack queue message written now would be lost).
            unregisterSession()
            if let receipt = headers[STOMPHeaderName.receipt] {
                let bytes = STOMPEncoder.encode(
                    STOMPFrame(.receipt, headers: [STOMPHeaderName.receiptID: receipt]),
                    version: session.version,
                    allocator: context.channel.allocator
                )
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
            return
        case .connect, .stomp:
            throw .unexpectedFrame("second \(frame.command)")
        case .connected, .message, .receipt, .error:
            throw .unexpectedFrame(frame.command.rawValue)
        }
        sendReceiptIfAsked(frame, session: session, context: context)
    }

    private func require(_ name: String, in frame: STOMPFrame) throws(BrokerError) -> String {
        guard let value = frame.headers[name] else { throw .missingHeader(name, command: frame.command.rawValue) }
        return value
    }

    private func sendReceiptIfAsked(_ frame: STOMPFrame, session: BrokerSession, context: ChannelHandlerContext) {
        guard let receipt = frame.headers[STOMPHeaderName.receipt] else { return }
        write(STOMPFrame(.receipt, headers: [STOMPHeaderName.receiptID: receipt]), version: session.version, context: context)
    }

    /// Removes the session from the router (once): its subscriptions end and its
    /// unacknowledged messages go back to their queues.
    private func unregisterSession() {
        guard let session else { return }
        self.session = nil
        router.unregister(sessionID: session.id)
    }

    // MARK: Output

    private func write(_ frame: STOMPFrame, version: STOMPVersion, context: ChannelHandlerContext) {
        let bytes = STOMPEncoder.encode(frame, version: version, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    /// Sends an ERROR frame saying what was wrong and closes the connection.
    private func fail(
        context: ChannelHandlerContext,
        message: String,
        receiptID: String? = nil,
        version: STOMPVersion? = nil,
        extraHeaders: STOMPHeaders = [:]
    ) {
        if case .closing = state { return }
        let version: STOMPVersion = {
            if let version { return version }
            if case .connected(let session) = state { return session.version }
            // Before CONNECT the client's version is unknown: 1.0 rules cannot be misread.
            return .v1_0
        }()
        state = .closing
        unregisterSession()
        router.metrics.protocolErrors.increment()
        logger.info("protocol error", metadata: ["message": "\(message)"])
        var headers: STOMPHeaders = [STOMPHeaderName.message: message, STOMPHeaderName.contentType: "text/plain"]
        if let receiptID { headers.add(name: STOMPHeaderName.receiptID, value: receiptID) }
        for header in extraHeaders { headers.add(name: header.name, value: header.value) }
        let frame = STOMPFrame(.error, headers: headers, body: message + "\n")
        let bytes = STOMPEncoder.encode(frame, version: version, allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }
}
