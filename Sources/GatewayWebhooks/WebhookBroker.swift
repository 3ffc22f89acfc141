import NIOCore

/// What the webhook dispatcher needs from the broker: subscriptions whose messages
/// are acknowledged one by one, and publishing confirmed by a receipt.
public protocol WebhookBroker: Sendable {
    /// Whether the broker keeps a message's `message-id` across redeliveries (ActiveMQ,
    /// Artemis, the embedded broker: yes; RabbitMQ: no). See ``WebhookMessageIdentity``.
    var keepsMessageIDs: Bool { get }

    /// Subscribes to `destination` with client-individual acknowledgement.
    ///
    /// - Parameters:
    ///   - durableName: for a topic, the durable subscription's name; `nil` for queues.
    ///   - prefetch: the most unacknowledged messages the broker should hand over.
    ///   - singleActiveConsumer: one consumer at a time across every gateway instance
    ///     (ActiveMQ `activemq.exclusive`; on RabbitMQ the queue itself is declared with
    ///     `x-single-active-consumer`), so per-key order holds across instances.
    func subscribe(to destination: String, durableName: String?, prefetch: Int, singleActiveConsumer: Bool) async throws -> WebhookSubscription

    /// Subscribes to `destination` (client-individual) on a connection of its own,
    /// which `cancel` closes: every message not acknowledged goes back to the broker at
    /// once (RabbitMQ keeps a cancelled subscription's unacknowledged messages until
    /// its connection closes). Replays of dead letters use it.
    func subscribeOnOwnConnection(to destination: String, prefetch: Int) async throws -> WebhookSubscription

    /// Publishes a message and returns once the broker confirmed it with a receipt.
    func publish(to destination: String, headers: [(name: String, value: String)], body: ByteBuffer) async throws
}

/// A subscription's messages, and the way to end it.
public struct WebhookSubscription: Sendable {
    /// The messages, in the broker's order; ends when the subscription ends.
    public var messages: AsyncThrowingStream<WebhookInboundMessage, any Error>
    /// Ends the subscription; unacknowledged messages go back to the broker.
    public var cancel: @Sendable () async -> Void

    /// A subscription.
    public init(messages: AsyncThrowingStream<WebhookInboundMessage, any Error>, cancel: @escaping @Sendable () async -> Void) {
        self.messages = messages
        self.cancel = cancel
    }
}

extension WebhookBroker {
    /// By default, a subscription like any other.
    public func subscribeOnOwnConnection(to destination: String, prefetch: Int) async throws -> WebhookSubscription {
        try await subscribe(to: destination, durableName: nil, prefetch: prefetch, singleActiveConsumer: false)
    }
}
