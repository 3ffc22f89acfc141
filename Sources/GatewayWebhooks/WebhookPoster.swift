import NIOCore

/// Sends one HTTP POST. The production poster is ``HTTPClientWebhookPoster``; tests
/// use scripted ones.
public protocol WebhookPoster: Sendable {
    /// POSTs `request` and returns the response, or throws ``WebhookTransportError``.
    func post(_ request: WebhookRequest) async throws(WebhookTransportError) -> WebhookResponse
}

/// One delivery attempt on the wire.
public struct WebhookRequest: Sendable {
    /// The endpoint URL.
    public var url: String
    /// Request headers.
    public var headers: [(name: String, value: String)]
    /// The message body, as is.
    public var body: ByteBuffer
    /// The whole request's deadline.
    public var timeout: Duration

    /// A request.
    public init(url: String, headers: [(name: String, value: String)], body: ByteBuffer, timeout: Duration) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What the receiver answered.
public struct WebhookResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// The `Retry-After` header, if any.
    public var retryAfter: String?
    /// The start of the body (for failure reports).
    public var bodyExcerpt: String

    /// A response.
    public init(status: Int, retryAfter: String? = nil, bodyExcerpt: String = "") {
        self.status = status
        self.retryAfter = retryAfter
        self.bodyExcerpt = bodyExcerpt
    }
}

/// An attempt that got no HTTP response.
public enum WebhookTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request did not finish within the endpoint's timeout.
    case timeout
    /// No connection could be made (refused, DNS, TLS).
    case connect(String)
    /// The connection broke during the exchange.
    case io(String)

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .connect(let reason): "connection failed: \(reason)"
        case .io(let reason): "connection error: \(reason)"
        }
    }
}
