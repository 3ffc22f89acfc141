import GatewayCore
import NIOCore

/// One destination watched by one connection: its place in the feed and, for STOMP,
/// its first-fragment bytes. Lives on its connection's event loop.
final class PushSubscription {
    let destination: String
    /// The STOMP subscription id, or for SSE the destination's index in the stream.
    let id: String
    let index: Int
    unowned let connection: PushConnection
    let policy: SlowConsumerPolicy
    /// The last sequence written (or skipped as already known).
    var lastSequence: UInt64 = 0
    /// Fell behind: live messages are skipped until the connection drains and catches up
    /// from the history.
    var behind = false
    /// STOMP: `MESSAGE\nsubscription:ID\n` as a non-final text / binary fragment.
    var textPrefix = ByteBuffer()
    var binaryPrefix = ByteBuffer()
    /// STOMP: `MESSAGE\nsubscription:ID\n` without a WebSocket header.
    var messageHead = ByteBuffer()

    init(destination: String, id: String, index: Int, connection: PushConnection, policy: SlowConsumerPolicy) {
        self.destination = destination
        self.id = id
        self.index = index
        self.connection = connection
        self.policy = policy
    }

    /// Writes `message` if it is new to this subscriber and the connection keeps up.
    /// Returns whether it was written.
    @inline(__always)
    func deliver(_ message: FeedMessage, cache: inout FrameCache) -> Bool {
        guard message.sequence > lastSequence, !behind else { return false }
        guard connection.isWritable else {
            connection.fellBehind(self)
            return false
        }
        connection.write(message, for: self, cache: &cache)
        lastSequence = message.sequence
        return true
    }
}

/// Whole STOMP-over-WebSocket frames of one message, built once per event loop for
/// each subscription id seen (most browsers' stomp.js call their first subscription
/// `sub-0`), so that a delivery is one write of shared bytes. Holds a few ids; other
/// subscribers get the two-fragment form (their own first fragment, then the shared tail).
struct FrameCache {
    private var entries: [(id: String, frame: ByteBuffer)] = []
    static let capacity = 4

    init() {}

    /// The frame for `subscription`, built and kept if there is room; `nil` when full.
    mutating func frame(for subscription: PushSubscription, message: FeedMessage, allocator: ByteBufferAllocator) -> ByteBuffer? {
        for entry in entries where entry.id == subscription.id { return entry.frame }
        guard entries.count < Self.capacity else { return nil }
        var frame = allocator.buffer(capacity: subscription.messageHead.readableBytes + message.stompTail.readableBytes + 10)
        WebSocketWire.writeFrameHeader(
            opcode: message.isText ? WebSocketWire.text : WebSocketWire.binary,
            fin: true,
            length: subscription.messageHead.readableBytes + message.stompTail.readableBytes,
            into: &frame
        )
        frame.writeImmutableBuffer(subscription.messageHead)
        frame.writeImmutableBuffer(message.stompTail)
        entries.append((subscription.id, frame))
        return frame
    }
}
