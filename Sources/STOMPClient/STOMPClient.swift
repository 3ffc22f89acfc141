import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import STOMPCore

/// An async STOMP 1.0–1.2 client over SwiftNIO.
///
/// ```swift
/// let client = STOMPClient(configuration: .init(broker: try STOMPBrokerURL("stomp://127.0.0.1:61613")))
/// try await client.connect()
/// let orders = try await client.subscribe(to: "/queue/orders", ack: .clientIndividual)
/// try await client.send(to: "/queue/orders", body: "order 42", receipt: true)
/// for try await message in orders {
///     print(message.bodyString)
///     try await client.ack(message)
///     break
/// }
/// try await client.disconnect()
/// ```
///
/// Heart-beats are sent and enforced: a broker silent for longer than the negotiated
/// interval × ``STOMPClientConfiguration/heartBeatTolerance`` is treated as dead. After
/// a drop the client reconnects with exponential backoff and full jitter across the
/// failover list (``STOMPReconnectPolicy``) and subscribes again to everything it was
/// subscribed to; unacknowledged messages of the old connection are redelivered by the
/// broker. While it reconnects, sends fail fast with ``STOMPClientError`` (`notConnected`).
public final class STOMPClient: Sendable {
    struct Connection: Sendable {
        let channel: any Channel
        let version: STOMPVersion
        let generation: Int
        let brokerIndex: Int
        /// The CONNECTED frame's `server` header (`RabbitMQ/3.10.8`, `ActiveMQ/5.17.6`), if any.
        var server: String? = nil
    }

    struct SubscriptionRecord: Sendable {
        let destination: String
        let ackMode: STOMPAckMode
        let headers: STOMPHeaders
        let buffer: MessageBuffer<STOMPMessage>
        var paused = false
    }

    struct PendingReceipt: Sendable {
        let continuation: CheckedContinuation<Void, any Error>
        let generation: Int
        let timeout: Scheduled<Void>
    }

    enum Phase: Sendable {
        case idle
        case connecting
        case connected(Connection)
        case reconnecting
        case closed
    }

    struct State: Sendable {
        var phase = Phase.idle
        var subscriptions: [String: SubscriptionRecord] = [:]
        var receipts: [String: PendingReceipt] = [:]
        var nextID = 0
        var generation = 0
        var brokerIndex = 0
        var reconnectTask: Task<Void, Never>?

        mutating func makeID(_ prefix: String) -> String {
            nextID += 1
            return "\(prefix)-\(nextID)"
        }
    }

    /// The configuration in force.
    public let configuration: STOMPClientConfiguration
    let group: any EventLoopGroup
    let logger: Logger
    let state = NIOLockedValueBox(State())
    let sslContext: NIOSSLContext?
    private let eventContinuation: AsyncStream<STOMPClientEvent>.Continuation

    /// Connection events, newest 64 kept; iterate it from one task.
    public let events: AsyncStream<STOMPClientEvent>

    /// Creates a client; nothing happens until ``connect()``.
    public init(
        configuration: STOMPClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "stomp-gateway.client")
    ) throws {
        guard !configuration.brokers.isEmpty else {
            throw STOMPClientError.invalidURL("", reason: "no broker given: STOMPClientConfiguration.brokers is empty")
        }
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        self.sslContext = configuration.brokers.contains(where: \.useTLS) ? try NIOSSLContext(configuration: configuration.tls) : nil
        (events, eventContinuation) = AsyncStream.makeStream(of: STOMPClientEvent.self, bufferingPolicy: .bufferingNewest(64))
    }

    deinit {
        eventContinuation.finish()
    }

    func emit(_ event: STOMPClientEvent) {
        eventContinuation.yield(event)
    }

    /// Whether a connection is established now.
    public var isConnected: Bool {
        state.withLockedValue { if case .connected = $0.phase { true } else { false } }
    }

    /// The version negotiated on the current connection.
    public var negotiatedVersion: STOMPVersion? {
        state.withLockedValue { if case .connected(let connection) = $0.phase { connection.version } else { nil } }
    }

    /// The current connection's CONNECTED `server` header (`RabbitMQ/3.10.8`, …), if the broker sent one.
    public var connectedServer: String? {
        state.withLockedValue { if case .connected(let connection) = $0.phase { connection.server } else { nil } }
    }

    /// Whether `message` came over the current connection, so that it can still be
    /// acknowledged. After a reconnect the broker redelivers unacknowledged messages;
    /// the old copies are stale.
    public func isCurrent(_ message: STOMPMessage) -> Bool {
        state.withLockedValue {
            if case .connected(let connection) = $0.phase { connection.generation == message.connectionGeneration } else { false }
        }
    }

    /// The broker of the current connection.
    public var connectedBroker: STOMPBrokerURL? {
        state.withLockedValue { if case .connected(let connection) = $0.phase { configuration.brokers[connection.brokerIndex] } else { nil } }
    }

    // MARK: Connect and disconnect

    /// Connects to the first broker of the failover list that answers.
    ///
    /// - Throws: ``STOMPClientError`` listing why each broker failed.
    public func connect() async throws {
        let start: Int? = try state.withLockedValue { state in
            switch state.phase {
            case .idle:
                state.phase = .connecting
                return state.brokerIndex
            case .connected, .connecting, .reconnecting:
                return nil
            case .closed:
                throw STOMPClientError.closed
            }
        }
        guard let start else { return }
        var failures: [String] = []
        for offset in 0..<configuration.brokers.count {
            let index = (start + offset) % configuration.brokers.count
            do {
                let connection = try await open(brokerIndex: index)
                install(connection)
                return
            } catch {
                failures.append("\(configuration.brokers[index]): \(error)")
            }
        }
        state.withLockedValue { state in
            if case .connecting = state.phase { state.phase = .idle }
        }
        throw STOMPClientError.connectFailed(failures)
    }

    /// Sends DISCONNECT, waits for its receipt (up to the receipt timeout), closes the
    /// connection and ends every subscription's sequence. The client cannot be reused.
    public func disconnect() async throws {
        let (connection, records, task) = state.withLockedValue { state -> (Connection?, [SubscriptionRecord], Task<Void, Never>?) in
            var connection: Connection?
            if case .connected(let current) = state.phase { connection = current }
            state.phase = .closed
            let records = Array(state.subscriptions.values)
            state.subscriptions.removeAll()
            defer { state.reconnectTask = nil }
            return (connection, records, state.reconnectTask)
        }
        task?.cancel()
        defer {
            for record in records { record.buffer.finish() }
            emit(.closed)
            eventContinuation.finish()
        }
        guard let connection else { return }
        do {
            try await sendFrame(STOMPFrame(.disconnect), receipt: true, on: connection)
        } catch {
            logger.debug("no receipt for DISCONNECT", metadata: ["error": "\(error)"])
        }
        try? await connection.channel.close()
    }

    // MARK: Sending

    /// Sends a message. With `receipt`, returns only once the broker confirmed it.
    public func send(
        to destination: String,
        body: ByteBuffer,
        headers: STOMPHeaders = [:],
        receipt: Bool = false,
        transaction: String? = nil
    ) async throws {
        var frameHeaders: STOMPHeaders = [STOMPHeaderName.destination: destination]
        for header in headers where header.name != STOMPHeaderName.destination { frameHeaders.add(name: header.name, value: header.value) }
        if let transaction { frameHeaders[STOMPHeaderName.transaction] = transaction }
        try await sendFrame(STOMPFrame(.send, headers: frameHeaders, body: body), receipt: receipt)
    }

    /// Sends a UTF-8 message.
    public func send(to destination: String, body: String, headers: STOMPHeaders = [:], receipt: Bool = false) async throws {
        try await send(to: destination, body: ByteBuffer(string: body), headers: headers, receipt: receipt)
    }

    /// Sends any frame on the current connection, optionally waiting for its receipt.
    public func sendFrame(_ frame: STOMPFrame, receipt: Bool = false) async throws {
        try await sendFrame(frame, receipt: receipt, on: currentConnection())
    }

    func currentConnection() throws -> Connection {
        try state.withLockedValue { state in
            switch state.phase {
            case .connected(let connection): return connection
            case .closed: throw STOMPClientError.closed
            default: throw STOMPClientError.notConnected
            }
        }
    }

    func sendFrame(_ frame: STOMPFrame, receipt: Bool, on connection: Connection) async throws {
        var frame = frame
        guard receipt else {
            let bytes = STOMPEncoder.encode(frame, version: connection.version, allocator: connection.channel.allocator)
            if connection.channel.isWritable {
                // The socket keeps up: hand the bytes to the event loop and return without a
                // round trip. A failed write closes the channel, so later sends fail with it.
                connection.channel.writeAndFlush(bytes, promise: nil)
            } else {
                // Back-pressure: past the high water mark, wait for this write.
                try await connection.channel.writeAndFlush(bytes)
            }
            return
        }
        let receiptID = state.withLockedValue { $0.makeID("receipt") }
        frame.headers[STOMPHeaderName.receipt] = receiptID
        let bytes = STOMPEncoder.encode(frame, version: connection.version, allocator: connection.channel.allocator)
        let timeout = configuration.receiptTimeout
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let scheduled = connection.channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { [weak self] () -> Void in
                self?.completeReceipt(receiptID, with: STOMPClientError.receiptTimeout(receiptID, timeout))
            }
            state.withLockedValue {
                $0.receipts[receiptID] = PendingReceipt(continuation: continuation, generation: connection.generation, timeout: scheduled)
            }
            connection.channel.writeAndFlush(bytes).whenFailure { [weak self] error in
                self?.completeReceipt(receiptID, with: STOMPClientError.connectionLost("\(error)"))
            }
        }
    }

    func completeReceipt(_ id: String, with error: (any Error)?) {
        guard let pending = state.withLockedValue({ $0.receipts.removeValue(forKey: id) }) else { return }
        pending.timeout.cancel()
        if let error { pending.continuation.resume(throwing: error) } else { pending.continuation.resume() }
    }

    // MARK: Subscriptions

    /// Subscribes to `destination`. With `receipt` (the default) it returns once the
    /// broker confirmed the subscription, and throws its ERROR otherwise.
    ///
    /// - Parameters:
    ///   - headers: extra SUBSCRIBE headers, e.g. ``STOMPDurableSubscription/headers(name:broker:)``
    ///     or `prefetch-count`.
    ///   - id: the subscription id; generated when `nil`.
    public func subscribe(
        to destination: String,
        ack: STOMPAckMode = .auto,
        headers: STOMPHeaders = [:],
        id: String? = nil,
        receipt: Bool = true
    ) async throws -> STOMPSubscription {
        let connection = try currentConnection()
        let id = id ?? state.withLockedValue { $0.makeID("sub") }
        let buffer = MessageBuffer<STOMPMessage>(capacity: configuration.subscriptionBufferSize) { [weak self] in
            self?.resumeReading(subscriptionID: id)
        }
        let record = SubscriptionRecord(destination: destination, ackMode: ack, headers: headers, buffer: buffer)
        state.withLockedValue { $0.subscriptions[id] = record }
        do {
            try await sendFrame(Self.subscribeFrame(id: id, record: record), receipt: receipt, on: connection)
        } catch {
            state.withLockedValue { _ = $0.subscriptions.removeValue(forKey: id) }
            buffer.finish(throwing: error)
            throw error
        }
        return STOMPSubscription(id: id, destination: destination, ackMode: ack, buffer: buffer, client: self)
    }

    static func subscribeFrame(id: String, record: SubscriptionRecord) -> STOMPFrame {
        var headers: STOMPHeaders = [
            STOMPHeaderName.id: id,
            STOMPHeaderName.destination: record.destination,
            STOMPHeaderName.ack: record.ackMode.rawValue,
        ]
        for header in record.headers where ![STOMPHeaderName.id, STOMPHeaderName.destination, STOMPHeaderName.ack].contains(header.name) {
            headers.add(name: header.name, value: header.value)
        }
        return STOMPFrame(.subscribe, headers: headers)
    }

    /// Ends subscription `id`: sends UNSUBSCRIBE (with a receipt, when connected) and
    /// ends its sequence.
    public func unsubscribe(id: String) async throws {
        guard let record = state.withLockedValue({ $0.subscriptions.removeValue(forKey: id) }) else { return }
        defer { record.buffer.finish() }
        if record.paused { resumeReadingIfNoneBlocked() }
        guard let connection = try? currentConnection() else { return }
        try await sendFrame(STOMPFrame(.unsubscribe, headers: [STOMPHeaderName.id: id]), receipt: true, on: connection)
    }

    // MARK: Acknowledgements and transactions

    /// Acknowledges `message` (and, in `client` mode, every earlier one of its subscription).
    public func ack(_ message: STOMPMessage, transaction: String? = nil, receipt: Bool = false) async throws {
        try await acknowledge(.ack, message, transaction: transaction, receipt: receipt)
    }

    /// Tells the broker `message` was not consumed; the broker redelivers or dead-letters it.
    public func nack(_ message: STOMPMessage, transaction: String? = nil, receipt: Bool = false) async throws {
        try await acknowledge(.nack, message, transaction: transaction, receipt: receipt)
    }

    private func acknowledge(_ command: STOMPCommand, _ message: STOMPMessage, transaction: String?, receipt: Bool) async throws {
        guard message.ackMode != .auto else { throw STOMPClientError.ackNotRequired }
        let connection = try currentConnection()
        guard connection.generation == message.connectionGeneration else { throw STOMPClientError.staleMessage }
        var headers = STOMPHeaders()
        switch connection.version {
        case .v1_2:
            headers.add(name: STOMPHeaderName.id, value: message.headers[STOMPHeaderName.ack] ?? message.messageID)
        case .v1_1:
            headers.add(name: STOMPHeaderName.messageID, value: message.messageID)
            headers.add(name: STOMPHeaderName.subscription, value: message.subscriptionID)
        case .v1_0:
            headers.add(name: STOMPHeaderName.messageID, value: message.messageID)
        }
        if let transaction { headers.add(name: STOMPHeaderName.transaction, value: transaction) }
        try await sendFrame(STOMPFrame(command, headers: headers), receipt: receipt, on: connection)
    }

    /// Begins a transaction.
    public func begin() async throws -> STOMPTransaction {
        let id = state.withLockedValue { $0.makeID("tx") }
        try await sendFrame(STOMPFrame(.begin, headers: [STOMPHeaderName.transaction: id]))
        return STOMPTransaction(id: id, client: self)
    }
}
