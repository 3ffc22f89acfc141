import Foundation
import NIOCore
import NIOPosix
import STOMPCore
import STOMPTestSupport
import Testing

/// A bare TCP connection to a broker that keeps every byte it receives (for checks
/// on the wire format) and parses frames from them on demand.
///
/// Unlike a stream-based reader, waiting for a frame that does not come costs
/// nothing: later frames are still read, so "nothing arrives within 300 ms" and
/// "then this arrives" can be checked on one connection.
final class WireConnection: @unchecked Sendable {
    private let channel: any Channel
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Opens a TCP connection to the broker on `port` (loopback). With `reading` false
    /// nothing is read until ``startReading()``: a consumer that has stopped reading.
    static func open(port: Int, reading: Bool = true, receiveBufferSize: Int? = nil) async throws -> WireConnection {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(.autoRead, value: reading)
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: .init(receiveBufferSize))
        }
        let channel =
            try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return WireConnection(channel: channel, inbox: inbox)
    }

    /// Opens a connection and completes a CONNECT handshake; fails the test unless the
    /// broker answers CONNECTED.
    static func connected(
        port: Int,
        acceptVersion: String? = "1.2",
        headers extra: [(String, String)] = [],
        receiveBufferSize: Int? = nil
    ) async throws -> WireConnection {
        let connection = try await open(port: port, receiveBufferSize: receiveBufferSize)
        try await connection.write(connectFrame(acceptVersion: acceptVersion, headers: extra))
        let answer = await connection.nextFrame()
        guard answer?.command == .connected else {
            await connection.close()
            throw TestEnvironmentError("expected CONNECTED, got \(answer.map(String.init(describing:)) ?? "nothing")")
        }
        return connection
    }

    /// Stops reading from the socket: the broker's writes back up, as with a stuck consumer.
    func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    /// Starts reading again after ``stopReading()`` or ``open(port:reading:receiveBufferSize:)``
    /// with `reading` false.
    func startReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
    }

    /// Writes raw bytes.
    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes a string's UTF-8 bytes as they are: the caller writes the NUL.
    func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Encodes and writes a frame with `version`'s escaping.
    func send(_ frame: STOMPFrame, version: STOMPVersion = .v1_2) async throws {
        try await channel.writeAndFlush(STOMPEncoder.encode(frame, version: version, allocator: channel.allocator))
    }

    /// Sends `frame` with a `receipt` header and waits for the RECEIPT (other frames
    /// that arrive first are kept for ``nextFrame(timeout:)``). Fails the test when
    /// no receipt comes.
    func sendAwaitingReceipt(_ frame: STOMPFrame, version: STOMPVersion = .v1_2, timeout: Duration = .seconds(5)) async throws {
        var frame = frame
        let id = "r-\(UUID().uuidString.prefix(8))"
        frame.headers[STOMPHeaderName.receipt] = id
        try await send(frame, version: version)
        let receipt = await nextFrame(timeout: timeout) { $0.command == .receipt || $0.command == .error }
        guard receipt?.command == .receipt, receipt?.headers[STOMPHeaderName.receiptID] == id else {
            throw TestEnvironmentError("expected RECEIPT \(id) for \(frame.command), got \(receipt.map(String.init(describing:)) ?? "nothing")")
        }
    }

    /// Subscribes and waits for the broker to confirm it.
    func subscribe(_ destination: String, id: String = "sub-0", ack: String = "auto", version: STOMPVersion = .v1_2) async throws {
        let frame = STOMPFrame(.subscribe, headers: ["destination": destination, "id": id, "ack": ack])
        try await sendAwaitingReceipt(frame, version: version)
    }

    /// Sends a message with a body and, optionally, extra headers.
    func sendMessage(
        to destination: String,
        body: String,
        headers extra: [(String, String)] = [],
        receipt: Bool = false
    ) async throws {
        var headers: STOMPHeaders = ["destination": destination]
        for (name, value) in extra { headers.add(name: name, value: value) }
        let frame = STOMPFrame(.send, headers: headers, body: body)
        if receipt {
            try await sendAwaitingReceipt(frame)
        } else {
            try await send(frame)
        }
    }

    /// The next frame (heart-beats skipped), or `nil` if the connection closed or
    /// `timeout` passed first.
    func nextFrame(timeout: Duration = .seconds(5)) async -> STOMPFrame? {
        await nextFrame(timeout: timeout) { _ in true }
    }

    /// The next frame that matches `accept`; frames before it that do not match stay
    /// queued, in order, for later calls.
    func nextFrame(timeout: Duration = .seconds(5), where accept: (STOMPFrame) -> Bool) async -> STOMPFrame? {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Read the closed flag first: bytes that came before the close are then parsed.
            let closed = inbox.isClosed
            inbox.parseAvailable()
            if let frame = inbox.take(where: accept) { return frame }
            if closed || ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next `count` MESSAGE frames' bodies, or fewer if they do not all come in time.
    func messageBodies(_ count: Int, timeout: Duration = .seconds(5)) async -> [String] {
        var bodies: [String] = []
        let deadline = ContinuousClock.now + timeout
        while bodies.count < count {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let frame = await nextFrame(timeout: remaining, where: { $0.command == .message }) else { break }
            bodies.append(frame.bodyString)
        }
        return bodies
    }

    /// Whether the broker closed the connection within `timeout`.
    func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !inbox.isClosed {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Every byte received so far, as text (invalid UTF-8 replaced).
    var transcript: String { inbox.transcript }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }
}

/// What one connection has received. Guarded by a lock: written on the event loop,
/// read by the test.
private final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = ByteBuffer()
    private var bytes: [UInt8] = []
    private var parser = STOMPParser()
    private var frames: [STOMPFrame] = []
    private var closed = false
    private var parseFailed = false

    func append(_ buffer: ByteBuffer) {
        lock.withLock {
            var buffer = buffer
            bytes += buffer.readableBytesView
            pending.writeBuffer(&buffer)
        }
    }

    func markClosed() {
        lock.withLock { closed = true }
    }

    var isClosed: Bool {
        lock.withLock { closed }
    }

    var transcript: String {
        lock.withLock { String(decoding: bytes, as: UTF8.self) }
    }

    /// Moves every complete frame from the bytes into the frame list.
    func parseAvailable() {
        lock.withLock {
            guard !parseFailed else { return }
            while true {
                do {
                    switch try parser.parse(&pending) {
                    case .frame(let frame): frames.append(frame)
                    case .heartbeat: continue
                    case .needMoreData: return
                    }
                } catch {
                    parseFailed = true
                    Issue.record("the broker sent bytes that do not parse: \(error)")
                    return
                }
            }
        }
    }

    func take(where accept: (STOMPFrame) -> Bool) -> STOMPFrame? {
        lock.withLock {
            guard let index = frames.firstIndex(where: accept) else { return nil }
            return frames.remove(at: index)
        }
    }
}

private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let inbox: Inbox

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.markClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
