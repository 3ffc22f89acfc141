import Logging
import NIOCore
import NIOPosix
import NIOSSL
import STOMPCore

extension STOMPClient {
    // MARK: Opening a connection

    /// Opens TCP (and TLS), sends CONNECT and waits for CONNECTED.
    func open(brokerIndex: Int) async throws -> Connection {
        let url = configuration.brokers[brokerIndex]
        let generation = state.withLockedValue { state in
            state.generation += 1
            return state.generation
        }
        let loop = group.next()
        let connected = loop.makePromise(of: STOMPFrame.self)
        let limits = configuration.parserLimits
        let sslContext = self.sslContext
        let timeout = TimeAmount.nanoseconds(configuration.connectTimeout.nanoseconds)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if url.useTLS, let sslContext {
                        let isAddress = url.host.contains(":") || url.host.allSatisfy { $0.isNumber || $0 == "." }
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: isAddress ? nil : url.host)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STOMPFrameDecoder(limits: limits)))
                    try channel.pipeline.syncOperations.addHandler(
                        STOMPClientHandler(client: self, generation: generation, connected: connected)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: url.port).get()
        } catch {
            connected.fail(error)
            throw error
        }
        let deadline = loop.scheduleTask(in: timeout) {
            connected.fail(STOMPClientError.connectionLost("no CONNECTED frame within \(self.configuration.connectTimeout)"))
        }
        do {
            try await channel.writeAndFlush(STOMPEncoder.encode(connectFrame(for: url), version: .v1_2, allocator: channel.allocator))
            let frame = try await connected.futureResult.get()
            deadline.cancel()
            let versionText = frame.headers[STOMPHeaderName.version] ?? "1.0"
            guard let version = STOMPVersion(rawValue: versionText), configuration.versions.contains(version) else {
                throw STOMPClientError.unsupportedVersion(versionText)
            }
            let serverBeat = frame.headers[STOMPHeaderName.heartBeat].flatMap(STOMPHeartBeat.init(headerValue:)) ?? .none
            let intervals = STOMPHeartBeat.negotiate(local: configuration.heartBeat, remote: serverBeat)
            if version >= .v1_1, intervals.send != nil || intervals.receive != nil {
                let tolerance = configuration.heartBeatTolerance
                try await channel.eventLoop.submit {
                    let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<STOMPFrameDecoder>.self)
                    try channel.pipeline.syncOperations.addHandler(
                        STOMPHeartBeatHandler(intervals: intervals, tolerance: tolerance),
                        position: .before(decoder)
                    )
                }.get()
            }
            logger.info(
                "connected to STOMP broker",
                metadata: ["broker": "\(url)", "version": "\(version)", "heart-beat": "\(intervals.send ?? 0),\(intervals.receive ?? 0)"]
            )
            return Connection(
                channel: channel,
                version: version,
                generation: generation,
                brokerIndex: brokerIndex,
                server: frame.headers[STOMPHeaderName.server]
            )
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }

    private func connectFrame(for url: STOMPBrokerURL) -> STOMPFrame {
        var headers: STOMPHeaders = [
            STOMPHeaderName.acceptVersion: STOMPVersion.acceptVersionHeader(configuration.versions),
            STOMPHeaderName.host: configuration.virtualHost ?? url.virtualHost ?? "/",
            STOMPHeaderName.heartBeat: configuration.heartBeat.headerValue,
        ]
        if let login = configuration.login ?? url.login { headers.add(name: STOMPHeaderName.login, value: login) }
        if let passcode = configuration.passcode ?? url.passcode { headers.add(name: STOMPHeaderName.passcode, value: passcode) }
        if let clientID = configuration.clientID { headers.add(name: "client-id", value: clientID) }
        for header in configuration.connectHeaders { headers.add(name: header.name, value: header.value) }
        return STOMPFrame(.connect, headers: headers)
    }

    /// Makes `connection` current and subscribes again to everything.
    func install(_ connection: Connection) {
        let outcome: (records: [(String, SubscriptionRecord)], closed: Bool) = state.withLockedValue { state in
            if case .closed = state.phase { return ([], true) }
            state.phase = .connected(connection)
            state.brokerIndex = connection.brokerIndex
            return (state.subscriptions.map { ($0.key, $0.value) }, false)
        }
        if outcome.closed {
            connection.channel.close(promise: nil)
            return
        }
        let url = configuration.brokers[connection.brokerIndex]
        emit(.connected(broker: url.description, version: connection.version.rawValue))
        if outcome.records.contains(where: { $0.1.paused }) {
            connection.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        }
        if !outcome.records.isEmpty {
            // Every SUBSCRIBE but the last in one write; the last asks for a receipt, and
            // the broker handles a connection's frames in order, so its RECEIPT confirms
            // them all: `.resubscribed` means the subscriptions are live at the broker.
            var bytes = connection.channel.allocator.buffer(capacity: 256 * outcome.records.count)
            for (id, record) in outcome.records.dropLast() {
                STOMPEncoder.encode(Self.subscribeFrame(id: id, record: record), version: connection.version, into: &bytes)
            }
            connection.channel.writeAndFlush(bytes, promise: nil)
            let (lastID, lastRecord) = outcome.records[outcome.records.count - 1]
            let count = outcome.records.count
            Task {
                do {
                    try await self.sendFrame(Self.subscribeFrame(id: lastID, record: lastRecord), receipt: true, on: connection)
                } catch {
                    self.logger.warning("no receipt for the re-established subscriptions", metadata: ["error": "\(error)"])
                }
                self.logger.info("subscriptions re-established", metadata: ["count": "\(count)"])
                self.emit(.resubscribed(count: count))
            }
        }
        if !connection.channel.isActive {
            connectionClosed(generation: connection.generation, reason: "the connection closed while it was being set up")
        }
    }

    // MARK: Inbound frames (on the connection's event loop)

    func handle(_ frame: STOMPFrame, generation: Int, channel: any Channel) {
        switch frame.command {
        case .message:
            let subscriptionID = frame.headers[STOMPHeaderName.subscription] ?? frame.headers[STOMPHeaderName.destination] ?? ""
            guard let record = state.withLockedValue({ $0.subscriptions[subscriptionID] }) else {
                logger.debug("MESSAGE for an unknown subscription dropped", metadata: ["subscription": "\(subscriptionID)"])
                return
            }
            let message = STOMPMessage(frame: frame, subscriptionID: subscriptionID, ackMode: record.ackMode, connectionGeneration: generation)
            if record.buffer.push(message) {
                let pause = state.withLockedValue { state -> Bool in
                    guard state.subscriptions[subscriptionID]?.paused == false else { return false }
                    state.subscriptions[subscriptionID]!.paused = true
                    return true
                }
                if pause { channel.setOption(.autoRead, value: false).whenComplete { _ in } }
            }
        case .receipt:
            if let id = frame.headers[STOMPHeaderName.receiptID] { completeReceipt(id, with: nil) }
        case .error:
            let error = STOMPClientError.server(frame)
            logger.warning("broker sent ERROR", metadata: ["message": "\(frame.headers[STOMPHeaderName.message] ?? "")"])
            if let id = frame.headers[STOMPHeaderName.receiptID] {
                completeReceipt(id, with: error)
            } else {
                // The broker closes the connection after an ERROR: every pending receipt fails with it.
                let ids = state.withLockedValue { state in state.receipts.filter { $0.value.generation == generation }.map(\.key) }
                for id in ids { completeReceipt(id, with: error) }
            }
        default:
            logger.debug("unexpected frame from broker ignored", metadata: ["command": "\(frame.command)"])
        }
    }

    /// Called by a subscription's buffer when its consumer has caught up.
    func resumeReading(subscriptionID: String) {
        state.withLockedValue { $0.subscriptions[subscriptionID]?.paused = false }
        resumeReadingIfNoneBlocked()
    }

    func resumeReadingIfNoneBlocked() {
        let channel: (any Channel)? = state.withLockedValue { state in
            guard !state.subscriptions.values.contains(where: \.paused), case .connected(let connection) = state.phase else { return nil }
            return connection.channel
        }
        channel?.setOption(.autoRead, value: true).whenComplete { _ in }
    }

    // MARK: Losing a connection

    /// Called once when a connection's channel becomes inactive.
    func connectionClosed(generation: Int, reason: String) {
        enum Next {
            case nothing
            case reconnect(from: Int)
            case giveUp([SubscriptionRecord])
        }
        let (receipts, next): ([PendingReceipt], Next) = state.withLockedValue { state in
            let receipts = state.receipts.filter { $0.value.generation == generation }
            for key in receipts.keys { state.receipts.removeValue(forKey: key) }
            guard case .connected(let connection) = state.phase, connection.generation == generation else {
                return (Array(receipts.values), .nothing)
            }
            guard configuration.reconnect != nil else {
                state.phase = .closed
                let records = Array(state.subscriptions.values)
                state.subscriptions.removeAll()
                return (Array(receipts.values), .giveUp(records))
            }
            state.phase = .reconnecting
            return (Array(receipts.values), .reconnect(from: connection.brokerIndex))
        }
        for receipt in receipts {
            receipt.timeout.cancel()
            receipt.continuation.resume(throwing: STOMPClientError.connectionLost(reason))
        }
        switch next {
        case .nothing:
            return
        case .giveUp(let records):
            logger.warning("connection to broker lost", metadata: ["reason": "\(reason)"])
            emit(.disconnected(reason: reason))
            for record in records { record.buffer.finish(throwing: STOMPClientError.connectionLost(reason)) }
            emit(.closed)
        case .reconnect(let index):
            logger.warning("connection to broker lost; reconnecting", metadata: ["reason": "\(reason)"])
            emit(.disconnected(reason: reason))
            startReconnecting(from: index)
        }
    }

    private func startReconnecting(from index: Int) {
        guard let policy = configuration.reconnect else { return }
        let task = Task { [self] in
            var generator = SystemRandomNumberGenerator()
            var attempt = 0
            while !Task.isCancelled {
                if let maxAttempts = policy.maxAttempts, attempt >= maxAttempts {
                    giveUp(reason: "gave up after \(attempt) reconnection attempts")
                    return
                }
                let delay = policy.delay(attempt: attempt, using: &generator)
                emit(.reconnecting(attempt: attempt + 1, delay: delay))
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled, state.withLockedValue({ if case .reconnecting = $0.phase { true } else { false } }) else { return }
                let brokerIndex = (index + attempt) % configuration.brokers.count
                do {
                    let connection = try await open(brokerIndex: brokerIndex)
                    install(connection)
                    return
                } catch {
                    logger.info(
                        "reconnection attempt failed",
                        metadata: ["attempt": "\(attempt + 1)", "broker": "\(configuration.brokers[brokerIndex])", "error": "\(error)"]
                    )
                    attempt += 1
                }
            }
        }
        state.withLockedValue { $0.reconnectTask = task }
    }

    private func giveUp(reason: String) {
        let records: [SubscriptionRecord] = state.withLockedValue { state in
            state.phase = .closed
            defer { state.subscriptions.removeAll() }
            return Array(state.subscriptions.values)
        }
        for record in records { record.buffer.finish(throwing: STOMPClientError.connectionLost(reason)) }
        emit(.closed)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
