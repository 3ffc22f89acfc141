import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import STOMPCore

/// A bare TCP connection for feeding a broker arbitrary bytes and reading the frames
/// it answers with — no client logic in between.
public final class RawSTOMPConnection: Sendable {
    private let channel: any Channel
    private let frames: AsyncStream<STOMPFrame>
    private let closed: EventLoopFuture<Void>

    private init(channel: any Channel, frames: AsyncStream<STOMPFrame>) {
        self.channel = channel
        self.frames = frames
        self.closed = channel.closeFuture
    }

    /// Connects to `host:port`.
    public static func connect(host: String = "127.0.0.1", port: Int) async throws -> RawSTOMPConnection {
        let (stream, continuation) = AsyncStream.makeStream(of: STOMPFrame.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(STOMPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(FrameCollector(continuation: continuation))
                }
            }
            .connect(host: host, port: port).get()
        return RawSTOMPConnection(channel: channel, frames: stream)
    }

    /// Writes raw bytes.
    public func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes a string's UTF-8 bytes.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// The next frame, or `nil` if the connection closed or `timeout` passed.
    public func nextFrame(timeout: Duration = .seconds(5)) async -> STOMPFrame? {
        await withTaskGroup(of: STOMPFrame?.self) { group in
            group.addTask {
                var iterator = self.frames.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Whether the peer closed the connection within `timeout`.
    public func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await self.closed.get()) != nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = STOMPPacket
    let continuation: AsyncStream<STOMPFrame>.Continuation

    init(continuation: AsyncStream<STOMPFrame>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .frame(let frame) = unwrapInboundIn(data) { continuation.yield(frame) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
