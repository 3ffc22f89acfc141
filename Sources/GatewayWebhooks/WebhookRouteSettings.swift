/// A route: where messages come from, which of them to take, and the endpoints that
/// receive each of them.
public struct WebhookRouteSettings: Sendable, Equatable {
    /// The route's name (metrics, admin API, durable subscription default).
    public var name: String
    /// The source destination: a `/queue/…` (competing consumers share its messages),
    /// or a `/topic/…` read through a durable subscription.
    public var source: String
    /// For a topic source: read it through a durable subscription (the default), so
    /// messages published while the gateway is away wait for it. `false` takes only
    /// what is published while connected.
    public var durable: Bool
    /// The durable subscription's name. Default `stomp-gateway.<route>`.
    public var subscriptionName: String
    /// Which messages the route takes; the others are acknowledged and skipped.
    public var selector: WebhookSelector
    /// Where messages that could not be delivered go, with headers saying why.
    /// Default `/queue/stomp-gateway.dead-letters.<route>`.
    public var deadLetter: String
    /// A message header whose value is the stable `webhook-id`; see
    /// ``WebhookMessageIdentity`` for the fallbacks.
    public var idHeader: String?
    /// Messages the broker may hand over before the earlier ones are acknowledged.
    /// Default 256.
    public var prefetch: Int
    /// The receivers.
    public var endpoints: [WebhookEndpointSettings]
    /// One consumer of the source at a time across gateway instances (the others wait
    /// as hot standbys), so per-key order holds with several instances. ActiveMQ and
    /// Artemis: an exclusive consumer. RabbitMQ: declare the queue with
    /// `x-single-active-consumer` beforehand (its STOMP adapter cannot); the flag then
    /// only documents the intent.
    /// Default `false`: instances share the messages (competing consumers).
    public var singleActiveConsumer = false

    /// A route; see each property for its default.
    public init(
        name: String,
        source: String,
        durable: Bool = true,
        subscriptionName: String? = nil,
        selector: WebhookSelector = WebhookSelector(),
        deadLetter: String? = nil,
        idHeader: String? = nil,
        prefetch: Int = 256,
        endpoints: [WebhookEndpointSettings]
    ) {
        self.name = name
        self.source = source
        self.durable = durable
        self.subscriptionName = subscriptionName ?? "stomp-gateway.\(name)"
        self.selector = selector
        self.deadLetter = deadLetter ?? "/queue/stomp-gateway.dead-letters.\(name)"
        self.idHeader = idHeader
        self.prefetch = prefetch
        self.endpoints = endpoints
    }

    /// Whether the source is a topic (read through a subscription rather than a queue).
    public var isTopic: Bool { source.hasPrefix("/topic/") }

    /// Checks the settings make sense.
    public func validate() throws(WebhookConfigurationError) {
        guard source.hasPrefix("/"), !source.contains(where: { $0.isNewline || $0 == "\0" }) else {
            throw WebhookConfigurationError("source must be a destination such as /queue/orders.events, got '\(source)'")
        }
        guard deadLetter.hasPrefix("/"), deadLetter != source else {
            throw WebhookConfigurationError("dead_letter must be a destination other than the source, got '\(deadLetter)'")
        }
        guard (1...100_000).contains(prefetch) else { throw WebhookConfigurationError("prefetch must be 1 to 100000") }
        guard !endpoints.isEmpty else { throw WebhookConfigurationError("a route needs at least one endpoint") }
        var names = Set<String>()
        for endpoint in endpoints {
            guard names.insert(endpoint.name).inserted else {
                throw WebhookConfigurationError("endpoint '\(endpoint.name)' appears twice")
            }
        }
    }
}
