import NIOCore

/// A message from the broker, as the gateway's feeds receive it.
public struct PushUpstreamMessage: Sendable {
    /// The destination it was published to (for a wildcard subscription, the actual one).
    public var destination: String
    /// Its headers, in order (STOMP bookkeeping headers are dropped when encoded).
    public var headers: [(name: String, value: String)]
    /// Its body.
    public var body: ByteBuffer

    /// Creates a message.
    public init(destination: String, headers: [(name: String, value: String)], body: ByteBuffer) {
        self.destination = destination
        self.headers = headers
        self.body = body
    }
}

/// One subscription held at the broker for the gateway's feeds.
public protocol PushUpstreamSubscription: Sendable {
    /// Ends it (UNSUBSCRIBE).
    func cancel() async
}

/// The broker side of the browser transports: subscribe for the feeds, publish the
/// browsers' SENDs. GatewayApp implements it on ``STOMPClient``.
public protocol PushUpstream: Sendable {
    /// Subscribes to `destination` (which may be a pattern from ``PushSettings/retain``:
    /// `*` for one segment, a trailing `**` for any; the implementation writes it in the
    /// broker's wildcard syntax) and calls `onMessage` for each message, in order.
    func subscribe(
        _ destination: String,
        onMessage: @escaping @Sendable (PushUpstreamMessage) -> Void
    ) async throws -> any PushUpstreamSubscription

    /// Publishes a message; with `receipt`, returns once the broker confirmed it.
    func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer, receipt: Bool) async throws

    /// Whether the broker connection is up now.
    var isConnected: Bool { get }

    /// Reads the stream `name` (declaring it, bound to `bindings`, with `maxAge` of
    /// retention) from its first message and calls `onMessage` with each message and
    /// its stream offset. Throws where the broker has no streams.
    func subscribeStream(
        _ name: String,
        bindings: [String],
        maxAge: Duration,
        onMessage: @escaping @Sendable (PushUpstreamMessage, UInt64) -> Void
    ) async throws -> any PushUpstreamSubscription
}

/// The broker has no streams (only RabbitMQ 3.9+ has them over STOMP).
public struct PushStreamUnsupported: Error, CustomStringConvertible {
    /// The broker's CONNECTED `server`, if any.
    public var server: String?

    /// An error for `server`.
    public init(server: String?) { self.server = server }

    public var description: String {
        "feeds.stream needs RabbitMQ streams (3.9 or later); the broker is \(server ?? "unknown")"
    }
}

extension PushUpstream {
    /// By default: no streams.
    public func subscribeStream(
        _ name: String,
        bindings: [String],
        maxAge: Duration,
        onMessage: @escaping @Sendable (PushUpstreamMessage, UInt64) -> Void
    ) async throws -> any PushUpstreamSubscription {
        throw PushStreamUnsupported(server: nil)
    }
}
