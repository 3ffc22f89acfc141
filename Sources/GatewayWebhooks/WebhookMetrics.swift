import Metrics

/// One endpoint's metrics (names as exported to Prometheus; labels `route`, `endpoint`):
///
/// | metric | kind | meaning |
/// |---|---|---|
/// | `gateway_webhook_attempts_total` | counter | POSTs started |
/// | `gateway_webhook_delivered_total` | counter | messages the endpoint answered 2xx |
/// | `gateway_webhook_failures_total` | counter | failed attempts, label `class` (``WebhookFailureClass``) |
/// | `gateway_webhook_latency_seconds` | histogram | attempt duration, request to response |
/// | `gateway_webhook_in_flight` | gauge | messages being delivered (posting or waiting to retry) |
/// | `gateway_webhook_waiting` | gauge | messages waiting behind an earlier one with the same key, or for a free slot |
/// | `gateway_webhook_dead_lettered_total` | counter | label `reason` |
/// | `gateway_webhook_disabled` | gauge | 1 while the endpoint is disabled (410 or admin) |
///
/// Per route (label `route`): `gateway_webhook_filtered_total` (not selected, skipped),
/// `gateway_webhook_abandoned_total` (left to the broker to redeliver after a
/// reconnect or shutdown), `gateway_webhook_ack_failures_total`.
struct WebhookEndpointMetrics: Sendable {
    let attempts: Counter
    let delivered: Counter
    let latency: Metrics.Timer
    let inFlight: Gauge
    let waiting: Gauge
    let disabled: Gauge
    let route: String
    let endpoint: String

    init(route: String, endpoint: String) {
        let dimensions = [("route", route), ("endpoint", endpoint)]
        self.route = route
        self.endpoint = endpoint
        attempts = Counter(label: "gateway_webhook_attempts_total", dimensions: dimensions)
        delivered = Counter(label: "gateway_webhook_delivered_total", dimensions: dimensions)
        latency = Metrics.Timer(label: "gateway_webhook_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        inFlight = Gauge(label: "gateway_webhook_in_flight", dimensions: dimensions)
        waiting = Gauge(label: "gateway_webhook_waiting", dimensions: dimensions)
        disabled = Gauge(label: "gateway_webhook_disabled", dimensions: dimensions)
        disabled.record(0)
        inFlight.record(0)
        waiting.record(0)
    }

    func failure(_ failure: WebhookFailureClass) {
        Counter(label: "gateway_webhook_failures_total", dimensions: [("route", route), ("endpoint", endpoint), ("class", failure.rawValue)])
            .increment()
    }

    func deadLettered(_ reason: String) {
        Counter(label: "gateway_webhook_dead_lettered_total", dimensions: [("route", route), ("endpoint", endpoint), ("reason", reason)])
            .increment()
    }
}

/// A route's own counters.
struct WebhookRouteMetrics: Sendable {
    let filtered: Counter
    let abandoned: Counter
    let ackFailures: Counter

    init(route: String) {
        filtered = Counter(label: "gateway_webhook_filtered_total", dimensions: [("route", route)])
        abandoned = Counter(label: "gateway_webhook_abandoned_total", dimensions: [("route", route)])
        ackFailures = Counter(label: "gateway_webhook_ack_failures_total", dimensions: [("route", route)])
    }
}
