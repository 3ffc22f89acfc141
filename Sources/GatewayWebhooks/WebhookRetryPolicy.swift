import GatewayCore

/// When to try a failed delivery again, and when to give up.
///
/// The delay before attempt *n + 1* is drawn uniformly from
/// `0 ... min(maxDelay, initialDelay × 2^(n − 1))` ("full jitter"), so that receivers
/// that come back are not hit by every sender at the same instant. A `Retry-After`
/// from the receiver replaces the drawn delay (capped at ``maxRetryAfter``). A
/// message is dead-lettered after ``maxAttempts`` attempts, or when the next attempt
/// would start later than ``maxAge`` after the gateway first took the message.
public struct WebhookRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included. Default 10.
    public var maxAttempts: Int
    /// The upper bound of the first retry's delay. Default 1 s.
    public var initialDelay: Duration
    /// The largest upper bound of a retry's delay. Default 5 minutes.
    public var maxDelay: Duration
    /// How long the gateway keeps trying one message. Default 24 hours.
    public var maxAge: Duration
    /// The longest `Retry-After` honoured as given; longer ones are capped. Default 1 hour.
    public var maxRetryAfter: Duration

    /// A policy; the defaults are those documented on each property.
    public init(
        maxAttempts: Int = 10,
        initialDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(300),
        maxAge: Duration = .seconds(86_400),
        maxRetryAfter: Duration = .seconds(3_600)
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAge = maxAge
        self.maxRetryAfter = maxRetryAfter
    }

    /// Checks the settings make sense.
    public func validate() throws(WebhookConfigurationError) {
        guard maxAttempts >= 1 else { throw WebhookConfigurationError("max_attempts must be at least 1") }
        guard initialDelay > .zero else { throw WebhookConfigurationError("initial_delay_ms must be positive") }
        guard maxDelay >= initialDelay else { throw WebhookConfigurationError("max_delay_ms must not be below initial_delay_ms") }
        guard maxAge > .zero else { throw WebhookConfigurationError("max_age_seconds must be positive") }
        guard maxDelay <= Self.longest else { throw WebhookConfigurationError("max_delay_ms must be at most 31536000000 (a year)") }
        guard maxAge <= Self.longest else { throw WebhookConfigurationError("max_age_seconds must be at most 31536000 (a year)") }
        guard maxRetryAfter >= .zero, maxRetryAfter <= Self.longest else {
            throw WebhookConfigurationError("max_retry_after_seconds must be 0 to 31536000 (a year)")
        }
    }

    /// The longest duration a webhook setting takes (a year), so that every delay and
    /// timeout converts to nanoseconds without overflow.
    public static let longest = Duration.seconds(31_536_000)

    /// The upper bound of the delay after failed attempt `attempt` (1-based).
    public func backoffCeiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let ceiling = Double(initialDelay.totalNanoseconds) * Double(1 << exponent)
        return .nanoseconds(Int64(min(ceiling, Double(maxDelay.totalNanoseconds))))
    }

    /// The delay before the next attempt after failed attempt `attempt`: the receiver's
    /// `Retry-After` if it gave one, else a full-jitter draw.
    public func delay(
        afterAttempt attempt: Int,
        retryAfter: Duration?,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maxRetryAfter) }
        let ceiling = backoffCeiling(afterAttempt: attempt).totalNanoseconds
        return .nanoseconds(Int64.random(in: 0...max(ceiling, 0), using: &generator))
    }

    /// ``delay(afterAttempt:retryAfter:using:)`` with the system's random numbers.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maxRetryAfter) }
        // Not through an `inout` generator: SystemRandomNumberGenerator is zero-sized, and
        // ThreadSanitizer takes concurrent inout accesses to one for a race.
        return .nanoseconds(Int64.random(in: 0...max(backoffCeiling(afterAttempt: attempt).totalNanoseconds, 0)))
    }
}
