import NIOCore

/// A message taken from the broker for delivery, and the means to acknowledge it.
public struct WebhookInboundMessage: Sendable {
    /// The message's headers in order, as the broker sent them.
    public var headers: [(name: String, value: String)]
    /// The body, as is.
    public var body: ByteBuffer
    /// Acknowledges the message to the broker, or tells it is stale.
    public var handle: any WebhookAcknowledging

    /// A message.
    public init(headers: [(name: String, value: String)], body: ByteBuffer, handle: any WebhookAcknowledging) {
        self.headers = headers
        self.body = body
        self.handle = handle
    }

    /// The first value of header `name`.
    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// The broker side of one taken message.
public protocol WebhookAcknowledging: Sendable {
    /// Whether the message still belongs to the live broker connection. After a
    /// reconnect the broker redelivers it, so the old copy must be neither delivered
    /// again nor acknowledged.
    var isCurrent: Bool { get }
    /// Acknowledges the message and returns once the broker confirmed (a receipt).
    func acknowledge() async throws
}
