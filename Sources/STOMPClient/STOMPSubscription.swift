import STOMPCore

/// The messages of one subscription, as an `AsyncSequence`.
///
/// ```swift
/// let orders = try await client.subscribe(to: "/queue/orders", ack: .clientIndividual)
/// for try await message in orders {
///     try await handle(message)
///     try await client.ack(message)
/// }
/// ```
///
/// Buffering is bounded by ``STOMPClientConfiguration/subscriptionBufferSize``: when a
/// consumer falls behind, the client stops reading from the socket, so the broker
/// holds the rest. The sequence survives reconnects (the client subscribes again);
/// it ends after ``unsubscribe()`` or ``STOMPClient/disconnect()``, and throws when
/// the connection is lost for good.
public struct STOMPSubscription: AsyncSequence, Sendable {
    public typealias Element = STOMPMessage

    /// The subscription id (the SUBSCRIBE frame's `id`).
    public let id: String
    /// The destination.
    public let destination: String
    /// The acknowledgement mode.
    public let ackMode: STOMPAckMode
    let buffer: MessageBuffer<STOMPMessage>
    let client: STOMPClient

    /// Ends the subscription (UNSUBSCRIBE, with a receipt).
    public func unsubscribe() async throws {
        try await client.unsubscribe(id: id)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(buffer: buffer)
    }

    /// Iterates the messages.
    public struct Iterator: AsyncIteratorProtocol {
        let buffer: MessageBuffer<STOMPMessage>

        public mutating func next() async throws -> STOMPMessage? {
            try await buffer.next()
        }
    }
}
