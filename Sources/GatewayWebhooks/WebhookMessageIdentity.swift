import Crypto
import NIOCore

/// The stable `webhook-id` of a message: the same for every attempt and every
/// redelivery, so that receivers can drop duplicates.
///
/// In order of preference:
/// 1. `x-webhook-id`, set on dead letters (a replay keeps the id);
/// 2. the route's `id_header`, when the message has it;
/// 3. `amqp-message-id` (RabbitMQ's name for an id the publisher set);
/// 4. the broker's `message-id`, for brokers that keep it across redeliveries
///    (ActiveMQ, Artemis, the embedded broker) — RabbitMQ numbers each delivery anew;
/// 5. otherwise `msg_` and a SHA-256 digest of the destination, the headers that do not
///    change between deliveries, and the body: stable, but two identical messages share it.
public enum WebhookMessageIdentity {
    /// Headers that change from one delivery of a message to the next.
    static let perDeliveryHeaders: Set<String> = [
        "message-id", "ack", "subscription", "redelivered", "content-length", "receipt", "x-delivery-count",
    ]

    /// The id of a message with `headers` and `body`.
    public static func id(
        headers: [(name: String, value: String)],
        body: ByteBuffer,
        idHeader: String?,
        brokerKeepsMessageIDs: Bool
    ) -> String {
        func usable(_ name: String) -> String? {
            guard let value = headers.first(where: { $0.name == name })?.value, WebhookHeaders.isSafeValue(value), !value.isEmpty,
                value.utf8.count <= 256
            else { return nil }
            return value
        }
        if let replayed = usable(WebhookHeaders.deadLetterID) { return replayed }
        if let idHeader, let value = usable(idHeader) { return value }
        if let value = usable("amqp-message-id") { return value }
        if brokerKeepsMessageIDs, let value = usable("message-id") { return value }
        var hash = SHA256()
        for header in headers.sorted(by: { ($0.name, $0.value) < ($1.name, $1.value) })
        where !perDeliveryHeaders.contains(header.name) {
            hash.update(data: Array(header.name.utf8) + [0] + Array(header.value.utf8) + [0])
        }
        hash.update(data: [1])
        body.withUnsafeReadableBytes { hash.update(data: $0) }
        return "msg_"
            + hash.finalize().prefix(16).map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            }.joined()
    }
}
