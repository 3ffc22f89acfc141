import Metrics

/// The embedded broker's counters, created once.
///
/// - `stomp_broker_connections` (gauge): open connections.
/// - `stomp_broker_messages_in_total`, `stomp_broker_messages_out_total`.
/// - `stomp_broker_protocol_errors_total`: ERROR frames sent for bad input.
/// - `stomp_broker_rejected_total{reason}`: `max_connections`, `max_subscriptions`,
///   `queue_full`, `connect_timeout`, `auth`.
/// - `stomp_broker_dropped_total{reason}`: `slow_consumer`, `queue_full` (drop-oldest),
///   `no_temp_destination`.
struct BrokerMetrics: Sendable {
    let connections = Gauge(label: "stomp_broker_connections")
    let messagesIn = Counter(label: "stomp_broker_messages_in_total")
    let messagesOut = Counter(label: "stomp_broker_messages_out_total")
    let protocolErrors = Counter(label: "stomp_broker_protocol_errors_total")

    func rejected(_ reason: String) {
        Counter(label: "stomp_broker_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    func dropped(_ reason: String, count: Int = 1) {
        Counter(label: "stomp_broker_dropped_total", dimensions: [("reason", reason)]).increment(by: count)
    }
}
