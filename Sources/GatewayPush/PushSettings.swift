import GatewayCore

/// Everything the browser transports are configured with: limits, timeouts, history,
/// public grants. Each limit has a default, a policy at the bound and a counter
/// (docs/BROWSER-PUSH.md, "Limits and protections").
public struct PushSettings: Sendable {
    /// Origins allowed to open `/stomp` and `/events` and to call the HTTP API
    /// (`https://shop.example`); `*` allows any. Empty (the default): requests without
    /// `Origin` (curl, servers) and pages from the same host name as `Host` (any port).
    public var allowedOrigins: [String] = []
    /// Open HTTP connections of every kind, at most. Default 10 000; beyond it, 503.
    public var maxConnections = 10_000
    /// Open connections from one IP address, at most. Default 1 000; beyond it, 429.
    public var maxConnectionsPerIP = 1_000
    /// Subscriptions on one WebSocket, or destinations on one SSE stream. Default 100.
    public var maxSubscriptionsPerConnection = 100
    /// The largest WebSocket message / STOMP frame a browser may send. Default 64 KiB.
    public var maxFrameBytes = 65_536
    /// The largest HTTP request body (the HTTP API). Default 1 MiB; beyond it, 413.
    public var maxRequestBodyBytes = 1 << 20
    /// Time to send a complete request head, or (WebSocket) a STOMP CONNECT. Default 10 s.
    public var handshakeTimeout: Duration = .seconds(10)
    /// An HTTP keep-alive connection idle this long is closed. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// Bytes queued for one slow browser before the slow-consumer policy applies
    /// (the channel's high write watermark). Default 256 KiB.
    public var sendQueueBytes = 262_144
    /// Flush coalescing, in microseconds: an event loop that flushed less than this long
    /// ago waits until this long has passed before flushing again, so that a busy feed's
    /// messages share socket writes; a loop that has been quiet flushes at the end of
    /// the tick (no added latency at light load). Default 10 000 (10 ms); 0 flushes
    /// every tick. Benchmarks/RESULTS.md has the trade-off.
    public var flushDelayMicroseconds = 10_000
    /// SSE heartbeat comment interval. Default 15 s.
    public var sseHeartbeat: Duration = .seconds(15)
    /// SSE `retry:` hint base, in milliseconds; up to the same again is added as jitter. Default 2 000.
    public var sseRetryMilliseconds = 2_000
    /// The SSE cookie that may carry the token. Default `stomp_gateway_token`.
    public var tokenCookieName = "stomp_gateway_token"
    /// The shortest interval the gateway offers to send STOMP heart-beats at (`sx`). Default 1 000 ms.
    public var stompHeartbeatSendMilliseconds = 1_000
    /// The interval the gateway asks browsers to send heart-beats at (`sy`). Default 10 000 ms.
    public var stompHeartbeatReceiveMilliseconds = 10_000
    /// The retained window per destination.
    public var history = RetainedHistoryLimits.default
    /// Retained messages a subscriber without a position gets. Default 1 (the current status).
    public var initialReplay = 1
    /// Destination patterns the gateway subscribes to upstream at start and keeps, so
    /// that a status published before any browser watched is retained. Default
    /// `/topic/**` (every topic). Queues are never subscribed ahead: that would consume them.
    public var retain: [String] = ["/topic/**"]
    /// Destinations with a retained feed, at most; beyond it the longest-idle unwatched
    /// feeds are dropped. Default 100 000.
    public var maxDestinations = 100_000
    /// How long an on-demand upstream subscription nobody watches is kept. Default 30 s.
    public var upstreamGrace: Duration = .seconds(30)
    /// A RabbitMQ stream that keeps the ``retain`` destinations' history in the broker
    /// (`feeds.stream`), so positions mean the same on every gateway instance and survive
    /// a restart; `nil` keeps history in this process only. Default `nil`.
    public var stream: String?
    /// Slow-consumer policy by destination pattern (default drop-oldest with a gap notice).
    public var slowConsumer = SlowConsumerPolicies()
    /// What anonymous clients (no token) may do. Default nothing.
    public var publicGrants = DestinationGrants.none
    /// Whether `/stomp` and `/events` are served. Default true.
    public var enabled = true
    /// Diagnostics: whether `/diagnostics/echo` is served, a WebSocket route that sends
    /// every message back, on the same WebSocket stack and limits as `/stomp`, for
    /// conformance suites (`diagnostics.websocket_echo`). Default false; never in production.
    public var webSocketEcho = false

    /// Creates the defaults.
    public init() {}
}
