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
    /// The feed's epoch (the process's, or a stream's shared by every instance).
    var epoch = ""
    /// Fell behind: live messages are skipped until the connection drains and catches up
    /// from the history.
    var behind = false
    /// STOMP: `MESSAGE\nsubscription:ID\n` as a non-final text / binary fragment.
    var textPrefix = ByteBuffer()
    var binaryPrefix = ByteBuffer()

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
    func deliver(_ message: FeedMessage) -> Bool {
        guard message.sequence > lastSequence, !behind else { return false }
        guard connection.isWritable else {
            connection.fellBehind(self)
            return false
        }
        connection.write(message, for: self)
        lastSequence = message.sequence
        return true
    }
}
