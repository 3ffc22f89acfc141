/// Reconnection with exponential backoff and full jitter: before attempt *n* the
/// client waits a random time between 0 and `min(maxDelay, initialDelay × 2ⁿ)`, so
/// that many clients dropped at once do not return at once.
public struct STOMPReconnectPolicy: Sendable, Hashable {
    /// The first backoff ceiling. Default 100 ms.
    public var initialDelay: Duration = .milliseconds(100)
    /// The largest backoff ceiling. Default 10 s.
    public var maxDelay: Duration = .seconds(10)
    /// Attempts before giving up, or `nil` for no limit. Default `nil`.
    public var maxAttempts: Int?

    /// Creates a policy.
    public init(initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(10), maxAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The backoff before attempt `attempt` (0-based), drawn with full jitter.
    public func delay<R: RandomNumberGenerator>(attempt: Int, using generator: inout R) -> Duration {
        let ceiling = ceilingDelay(attempt: attempt)
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanos, using: &generator))
    }

    /// The backoff ceiling for `attempt`: `min(maxDelay, initialDelay × 2^attempt)`.
    public func ceilingDelay(attempt: Int) -> Duration {
        let factor = 1 << min(max(attempt, 0), 30)
        let scaled = initialDelay * factor
        return scaled > maxDelay ? maxDelay : scaled
    }
}
