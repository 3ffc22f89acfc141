/// What happened to a ``STOMPClient``'s connection, for logs, health checks and UIs.
public enum STOMPClientEvent: Sendable, Hashable {
    /// Connected (or reconnected) to a broker with a negotiated version.
    case connected(broker: String, version: String)
    /// The connection dropped; the reason says why (heart-beat timeout, ERROR frame, EOF).
    case disconnected(reason: String)
    /// About to try again after `delay` (attempt numbers start at 1).
    case reconnecting(attempt: Int, delay: Duration)
    /// Every subscription was sent again on a new connection.
    case resubscribed(count: Int)
    /// Gave up, or ``STOMPClient/disconnect()`` was called.
    case closed
}
