/// What the gateway does to a browser connection whose send queue is full: the client
/// reads slower than its destinations publish.
///
/// - ``dropOldest``: the oldest queued message is dropped to make room, and the client
///   is told it has a gap (so it can resume from its last id, or reload). Right for
///   status feeds, where the newest message matters most.
/// - ``disconnect``: the connection is closed with a reason that says so; the client
///   reconnects and resumes from its last id. Right where every message matters and
///   the retained history covers the gap.
///
/// Every action is counted (`gateway_slow_consumer_actions_total{policy}`).
public enum SlowConsumerPolicy: String, Sendable, Hashable, CaseIterable {
    case dropOldest = "drop-oldest"
    case disconnect = "disconnect"
}
