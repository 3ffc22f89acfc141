/// What one verified token (or the anonymous public) may do, and until when.
///
/// Produced by a ``TokenVerifying`` implementation; the browser transports check every
/// SUBSCRIBE and SEND against ``grants`` and end the connection at ``expiresAt``.
public struct AccessGrant: Sendable, Hashable {
    /// The destinations it may subscribe and publish to.
    public var grants: DestinationGrants
    /// The token's subject (`sub`), for logs; `nil` for the public.
    public var subject: String?
    /// When the token expires, in seconds since 1970; `nil` for the public (never).
    public var expiresAt: Double?

    /// Creates a grant.
    public init(grants: DestinationGrants, subject: String? = nil, expiresAt: Double? = nil) {
        self.grants = grants
        self.subject = subject
        self.expiresAt = expiresAt
    }

    /// The anonymous public's grant: the configured public patterns, never expiring.
    public static func anonymous(_ grants: DestinationGrants) -> AccessGrant {
        AccessGrant(grants: grants)
    }

    /// Whether it has expired at `now` (seconds since 1970).
    public func isExpired(at now: Double) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }
}
