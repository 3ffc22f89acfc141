/// One receiver of a route's messages.
public struct WebhookEndpointSettings: Sendable, Equatable {
    /// The endpoint's name, unique within its route (metrics, admin API, dead letters).
    public var name: String
    /// Where deliveries are POSTed (`http` or `https`).
    public var url: String
    /// Signing secrets; every delivery carries one signature per secret (rotation).
    public var secrets: [WebhookSecret]
    /// The whole request's deadline, connection included. Default 10 s.
    public var timeout: Duration
    /// Requests in flight at once to this endpoint. Default 16.
    public var maxConcurrency: Int
    /// The message header whose value orders deliveries (a later message with the same
    /// value waits for the earlier one); `nil` delivers without order. Default `nil`.
    public var orderingKey: String?
    /// When to retry and when to give up.
    public var retry: WebhookRetryPolicy

    /// An endpoint; see each property for its default.
    public init(
        name: String,
        url: String,
        secrets: [WebhookSecret],
        timeout: Duration = .seconds(10),
        maxConcurrency: Int = 16,
        orderingKey: String? = nil,
        retry: WebhookRetryPolicy = WebhookRetryPolicy()
    ) {
        self.name = name
        self.url = url
        self.secrets = secrets
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.orderingKey = orderingKey
        self.retry = retry
    }

    /// Checks the settings make sense.
    public func validate() throws(WebhookConfigurationError) {
        guard let scheme = url.split(separator: ":", maxSplits: 1).first?.lowercased(), ["http", "https"].contains(scheme),
            url.contains("://"), url.split(separator: "/", omittingEmptySubsequences: true).count >= 2
        else {
            throw WebhookConfigurationError("url must be an absolute http:// or https:// URL, got '\(url)'")
        }
        guard !secrets.isEmpty else {
            throw WebhookConfigurationError("at least one signing secret is required (secrets: [whsec_...] or secrets_env)")
        }
        guard timeout > .zero else { throw WebhookConfigurationError("timeout_ms must be positive") }
        guard timeout <= WebhookRetryPolicy.longest else { throw WebhookConfigurationError("timeout_ms must be at most 31536000000 (a year)") }
        guard (1...1024).contains(maxConcurrency) else { throw WebhookConfigurationError("max_concurrency must be 1 to 1024") }
        if let orderingKey, orderingKey.isEmpty { throw WebhookConfigurationError("ordering_key must name a message header") }
        try retry.validate()
    }
}
