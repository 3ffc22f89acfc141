import Metrics
import NIOConcurrencyHelpers

/// The browser transports' metrics (names as exported to Prometheus):
///
/// | metric | kind | labels |
/// |---|---|---|
/// | `gateway_connections` | gauge | `transport` = `websocket`, `sse`, `http` |
/// | `gateway_connections_rejected_total` | counter | `reason` = `global`, `per_ip`, `origin`, `handshake_timeout`, `idle_timeout` |
/// | `gateway_subscriptions` | gauge | `transport` |
/// | `gateway_upstream_subscriptions` | gauge | |
/// | `gateway_retained_destinations` | gauge | |
/// | `gateway_messages_in_total` | counter | |
/// | `gateway_messages_out_total` | counter | `transport` |
/// | `gateway_gaps_total` | counter | `transport` |
/// | `gateway_slow_consumer_actions_total` | counter | `policy` = `drop-oldest`, `disconnect` |
/// | `gateway_auth_denials_total` | counter | `reason` = `invalid_token`, `token_expired`, `forbidden`, `origin` |
/// | `gateway_frames_rejected_total` | counter | `reason` = `too_large`, `bad_frame`, `limit` |
/// | `gateway_published_total` | counter | `result` = `ok`, `denied`, `failed` |
/// | `gateway_broker_reconnects_total` | counter | broker connection lost and re-established |
/// | `gateway_delivery_latency_seconds` | histogram | gateway receipt → socket write |
final class PushMetrics: Sendable {
    private let connectionCounts = NIOLockedValueBox([String: Int]())
    private let subscriptionCounts = NIOLockedValueBox([String: Int]())

    let upstreamSubscriptions = Gauge(label: "gateway_upstream_subscriptions")
    let retainedDestinations = Gauge(label: "gateway_retained_destinations")
    let messagesIn = Counter(label: "gateway_messages_in_total")
    let deliveryLatency = Metrics.Timer(label: "gateway_delivery_latency_seconds", preferredDisplayUnit: .seconds)
    let messagesOutWebSocket = Counter(label: "gateway_messages_out_total", dimensions: [("transport", "websocket")])
    let messagesOutSSE = Counter(label: "gateway_messages_out_total", dimensions: [("transport", "sse")])

    func connectionOpened(_ transport: String) { adjust(connectionCounts, "gateway_connections", transport, by: 1) }
    func connectionClosed(_ transport: String) { adjust(connectionCounts, "gateway_connections", transport, by: -1) }
    func subscriptionAdded(_ transport: String) { adjust(subscriptionCounts, "gateway_subscriptions", transport, by: 1) }
    func subscriptionRemoved(_ transport: String) { adjust(subscriptionCounts, "gateway_subscriptions", transport, by: -1) }

    func rejected(_ reason: String) {
        Counter(label: "gateway_connections_rejected_total", dimensions: [("reason", reason)]).increment()
    }
    func gap(_ transport: String) { Counter(label: "gateway_gaps_total", dimensions: [("transport", transport)]).increment() }
    func slowConsumer(_ policy: String) {
        Counter(label: "gateway_slow_consumer_actions_total", dimensions: [("policy", policy)]).increment()
    }
    func upstreamGap() { Counter(label: "gateway_broker_reconnects_total").increment() }
    func authDenied(_ reason: String) { Counter(label: "gateway_auth_denials_total", dimensions: [("reason", reason)]).increment() }
    func frameRejected(_ reason: String) { Counter(label: "gateway_frames_rejected_total", dimensions: [("reason", reason)]).increment() }
    func published(_ result: String) { Counter(label: "gateway_published_total", dimensions: [("result", result)]).increment() }

    /// Current open connections by transport.
    var connections: [String: Int] { connectionCounts.withLockedValue { $0 } }

    private func adjust(_ box: NIOLockedValueBox<[String: Int]>, _ label: String, _ transport: String, by delta: Int) {
        let value = box.withLockedValue { counts -> Int in
            let value = (counts[transport] ?? 0) + delta
            counts[transport] = value
            return value
        }
        Gauge(label: label, dimensions: [("transport", transport)]).record(value)
    }
}
