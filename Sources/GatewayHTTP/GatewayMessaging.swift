import NIOCore

/// What the HTTP front door needs from the broker side (GatewayApp implements it on a
/// STOMP client and a request–reply multiplexer).
public protocol GatewayMessaging: Sendable {
    /// Publishes and returns once the broker confirmed it (a receipt).
    func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer) async throws

    /// Sends a request with `reply-to` and `correlation-id`; returns the reply, or `nil`
    /// when none came within `timeout`.
    func request(
        destination: String,
        headers: [(name: String, value: String)],
        body: ByteBuffer,
        timeout: Duration
    ) async throws
        -> GatewayReply?

    /// Replies that came after their caller's deadline (dropped).
    var lateReplies: Int { get }
}

/// A reply to ``GatewayMessaging/request(destination:headers:body:timeout:)``.
public struct GatewayReply: Sendable {
    /// Its headers.
    public var headers: [(name: String, value: String)]
    /// Its body.
    public var body: ByteBuffer

    /// Creates a reply.
    public init(headers: [(name: String, value: String)], body: ByteBuffer) {
        self.headers = headers
        self.body = body
    }
}

/// The broker could not take a message; ``isUnavailable`` distinguishes a broker that
/// is down (503) from one that refused (502).
public struct GatewayMessagingError: Error, Sendable, CustomStringConvertible {
    /// Whether the broker is unreachable now (as opposed to refusing the message).
    public let isUnavailable: Bool
    public let description: String

    /// Creates an error.
    public init(isUnavailable: Bool, _ description: String) {
        self.isUnavailable = isUnavailable
        self.description = description
    }
}
