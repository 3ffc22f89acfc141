import NIOCore
import STOMPCore

/// A message received on a ``STOMPSubscription``.
///
/// In `client` or `client-individual` mode, acknowledge it with
/// ``STOMPClient/ack(_:transaction:)`` or ``STOMPClient/nack(_:transaction:)``.
public struct STOMPMessage: Sendable {
    /// The MESSAGE frame as received.
    public let frame: STOMPFrame
    /// The id of the subscription it came on.
    public let subscriptionID: String
    /// The subscription's acknowledgement mode.
    public let ackMode: STOMPAckMode
    /// Which connection it came over; an acknowledgement is only meaningful on that one.
    let connectionGeneration: Int

    /// The headers.
    public var headers: STOMPHeaders { frame.headers }
    /// The body.
    public var body: ByteBuffer { frame.body }
    /// The body as UTF-8 text.
    public var bodyString: String { frame.bodyString }
    /// The `destination` header.
    public var destination: String { frame.headers[STOMPHeaderName.destination] ?? "" }
    /// The broker's `message-id`.
    public var messageID: String { frame.headers[STOMPHeaderName.messageID] ?? "" }
    /// Whether the broker says it delivered this message before (`redelivered:true`).
    public var isRedelivered: Bool { frame.headers[STOMPHeaderName.redelivered] == "true" }
}
