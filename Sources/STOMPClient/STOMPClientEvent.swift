/// What happened to a ``STOMPClient``'s connection, for logs, health checks and UIs.
///
/// A struct with a payload-free ``Kind`` rather than an enum with associated values:
/// with Swift 6.3.1 an enum of this shape (several String payloads) was matched
/// differently in another module's debug build, so a `switch` in the caller saw the
/// wrong case.
public struct STOMPClientEvent: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of event.
    public enum Kind: String, Sendable, Hashable {
        /// Connected (or reconnected): ``broker`` and ``version`` are set.
        case connected
        /// The connection dropped: ``reason`` says why (heart-beat timeout, ERROR frame, EOF).
        case disconnected
        /// About to try again: ``attempt`` (from 1) and ``delay`` are set.
        case reconnecting
        /// Every subscription was sent again on a new connection: ``count`` is set.
        case resubscribed
        /// Gave up, or ``STOMPClient/disconnect()`` was called.
        case closed
    }

    /// What happened.
    public var kind: Kind
    /// The broker, for ``Kind/connected``.
    public var broker: String?
    /// The negotiated STOMP version, for ``Kind/connected``.
    public var version: String?
    /// Why the connection dropped, for ``Kind/disconnected``.
    public var reason: String?
    /// The attempt number, for ``Kind/reconnecting``.
    public var attempt: Int?
    /// The backoff before the attempt, for ``Kind/reconnecting``.
    public var delay: Duration?
    /// How many subscriptions, for ``Kind/resubscribed``.
    public var count: Int?

    init(_ kind: Kind) {
        self.kind = kind
    }

    static func connected(broker: String, version: String) -> Self {
        var event = Self(.connected)
        event.broker = broker
        event.version = version
        return event
    }

    static func disconnected(reason: String) -> Self {
        var event = Self(.disconnected)
        event.reason = reason
        return event
    }

    static func reconnecting(attempt: Int, delay: Duration) -> Self {
        var event = Self(.reconnecting)
        event.attempt = attempt
        event.delay = delay
        return event
    }

    static func resubscribed(count: Int) -> Self {
        var event = Self(.resubscribed)
        event.count = count
        return event
    }

    static let closed = Self(.closed)

    public var description: String {
        switch kind {
        case .connected: "connected to \(broker ?? "?") (STOMP \(version ?? "?"))"
        case .disconnected: "disconnected: \(reason ?? "")"
        case .reconnecting: "reconnecting (attempt \(attempt ?? 0)) in \(delay ?? .zero)"
        case .resubscribed: "resubscribed \(count ?? 0) subscriptions"
        case .closed: "closed"
        }
    }
}
