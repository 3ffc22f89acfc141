import STOMPCore

/// The headers that make a topic subscription durable, which each broker spells its own way.
///
/// A durable subscription keeps collecting messages while its subscriber is away.
///
/// | broker | CONNECT | SUBSCRIBE |
/// |---|---|---|
/// | ActiveMQ Classic | `client-id` (set ``STOMPClientConfiguration/clientID``) | `activemq.subscriptionName:NAME` |
/// | Artemis | `client-id` | `durable-subscription-name:NAME` (also accepts ActiveMQ's) |
/// | RabbitMQ | — | `durable:true`, `auto-delete:false`, and `id:NAME` (the subscription id names the queue) |
///
/// The embedded broker keeps no durable subscriptions: use a `/queue/` there.
///
/// ```swift
/// let headers = STOMPDurableSubscription.headers(name: "crm", broker: .rabbitMQ)
/// let feed = try await client.subscribe(to: "/topic/orders", ack: .clientIndividual, headers: headers, id: "crm")
/// ```
public enum STOMPDurableSubscription {
    /// Broker families whose durable-subscription headers differ.
    public enum Broker: String, Sendable, Hashable, CaseIterable {
        case activeMQClassic = "activemq"
        case artemis = "artemis"
        case rabbitMQ = "rabbitmq"
    }

    /// The SUBSCRIBE headers for a durable subscription called `name`.
    public static func headers(name: String, broker: Broker) -> STOMPHeaders {
        switch broker {
        case .activeMQClassic:
            ["activemq.subscriptionName": name]
        case .artemis:
            ["durable-subscription-name": name, "activemq.subscriptionName": name]
        case .rabbitMQ:
            ["durable": "true", "auto-delete": "false", "persistent": "true"]
        }
    }
}
