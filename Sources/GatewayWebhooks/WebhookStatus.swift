/// A route's state, for the admin API.
public struct WebhookRouteStatus: Sendable, Codable, Equatable {
    /// The route's name.
    public var name: String
    /// Its source destination.
    public var source: String
    /// Its dead-letter destination.
    public var deadLetter: String
    /// Whether the source subscription is active.
    public var subscribed: Bool
    /// Messages taken from the broker whose ACK has not been sent yet (at most the
    /// route's `prefetch`).
    public var unacknowledged: Int
    /// Messages skipped by the selector since start.
    public var filtered: Int
    /// Its endpoints.
    public var endpoints: [WebhookEndpointStatus]
    /// Dead letters this gateway wrote recently (newest last; the destination holds them all).
    public var recentDeadLetters: [WebhookDeadLetterRecord]
    /// Replays still running.
    public var replays: [WebhookReplayStatus]
}

/// An endpoint's state, for the admin API.
public struct WebhookEndpointStatus: Sendable, Codable, Equatable {
    /// The endpoint's name.
    public var name: String
    /// Its URL, without user info or query.
    public var url: String
    /// `active` or `disabled`.
    public var state: String
    /// Why it is disabled.
    public var disabledReason: String?
    /// When it was disabled (ms since 1970).
    public var disabledAt: Int64?
    /// Messages being delivered (posting or waiting to retry).
    public var inFlight: Int
    /// Messages waiting for their key or a free slot.
    public var waiting: Int
    /// Attempts since start.
    public var attempts: Int
    /// Messages delivered since start.
    public var delivered: Int
    /// Failed attempts since start.
    public var failures: Int
    /// Messages dead-lettered since start.
    public var deadLettered: Int
    /// The latest failed attempts (newest last).
    public var recentFailures: [WebhookFailureRecord]
}

/// One failed attempt.
public struct WebhookFailureRecord: Sendable, Codable, Equatable {
    /// When (ms since 1970).
    public var at: Int64
    /// The message's `webhook-id`.
    public var webhookID: String
    /// The attempt number.
    public var attempt: Int
    /// The HTTP status, if a response came.
    public var status: Int?
    /// The failure class.
    public var failure: String
    /// What happened, one line.
    public var error: String
}

/// One message dead-lettered by this gateway.
public struct WebhookDeadLetterRecord: Sendable, Codable, Equatable {
    /// When (ms since 1970).
    public var at: Int64
    /// The message's `webhook-id`.
    public var webhookID: String
    /// The endpoint that did not take it.
    public var endpoint: String
    /// Why.
    public var reason: String
    /// Attempts made.
    public var attempts: Int
    /// The last HTTP status.
    public var lastStatus: Int?
    /// The last error.
    public var lastError: String?
}

/// A replay of dead letters that is still delivering.
public struct WebhookReplayStatus: Sendable, Codable, Equatable {
    /// The replay's number.
    public var id: Int
    /// Only this endpoint's dead letters, or all.
    public var endpoint: String?
    /// Dead letters taken back into delivery.
    public var taken: Int
    /// Of those, not yet resolved.
    public var outstanding: Int
    /// Whether it still takes dead letters.
    public var taking: Bool
}
