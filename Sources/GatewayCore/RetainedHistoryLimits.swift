/// Bounds of one destination's retained history.
///
/// | bound | default | at the bound |
/// |---|---|---|
/// | ``maxMessages`` | 100 | the oldest message is evicted |
/// | ``maxBytes`` | 1 MiB of bodies | the oldest message is evicted |
/// | ``maxAge`` | 1 hour | older messages are evicted |
///
/// The newest message — the current status — is always kept, whatever its age or size,
/// so that a page that loads late still sees where its order stands.
public struct RetainedHistoryLimits: Sendable, Hashable {
    /// Most messages kept. Default 100; at least 1.
    public var maxMessages: Int
    /// Most body bytes kept. Default 1 MiB.
    public var maxBytes: Int
    /// Oldest message kept. Default 1 hour.
    public var maxAge: Duration

    /// Creates limits; every argument has the documented default.
    public init(maxMessages: Int = 100, maxBytes: Int = 1024 * 1024, maxAge: Duration = .seconds(3600)) {
        self.maxMessages = max(1, maxMessages)
        self.maxBytes = max(0, maxBytes)
        self.maxAge = maxAge
    }

    /// The defaults.
    public static let `default` = RetainedHistoryLimits()
}
