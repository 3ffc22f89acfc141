import GatewayCore

/// Turns the token a browser presented (or none) into what it may do.
public struct PushAuthenticator: Sendable {
    /// Verifies tokens; `nil` when no keys are configured (only public access then).
    public var verifier: (any TokenVerifying)?
    /// What clients without a token may do.
    public var publicGrants: DestinationGrants
    /// Admin keys (`admin.keys`): presented as a token, one may subscribe to the
    /// gateway's own status feed, ``adminFeed`` (the admin page does).
    public var adminKeys: [String] = []

    /// The destination the gateway publishes its own status to, once a second. Admin
    /// keys may also subscribe to the destinations below it (`…admin.*`).
    public static let adminFeed = "/topic/stomp-gateway.admin"

    /// Creates an authenticator.
    public init(verifier: (any TokenVerifying)?, publicGrants: DestinationGrants) {
        self.verifier = verifier
        self.publicGrants = publicGrants
    }

    /// The grant for `token` (`nil`: anonymous, the public grants).
    public func authenticate(_ token: String?) async -> Result<AccessGrant, TokenError> {
        guard let token, !token.isEmpty else { return .success(.anonymous(publicGrants)) }
        if adminKeys.contains(where: { Self.constantTimeEquals($0, token) }),
            let grants = try? DestinationGrants(subscribe: [Self.adminFeed, Self.adminFeed + ".**"], publish: [])
        {
            return .success(AccessGrant(grants: grants.union(publicGrants), subject: "admin"))
        }
        guard let verifier else { return .failure(.notConfigured) }
        do {
            var grant = try await verifier.verify(token, now: PushClock.secondsSince1970())
            // The public destinations stay open to everyone, with a token or not.
            grant.grants = grant.grants.union(publicGrants)
            return .success(grant)
        } catch {
            return .failure(error)
        }
    }

    /// Compares two secrets in time that depends only on their length.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<x.count { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// The token from an `Authorization: Bearer …` value.
    static func bearer(_ value: String?) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmedOfSpaces()
        if trimmed.lowercased().hasPrefix("bearer ") {
            return String(trimmed.dropFirst(7)).trimmedOfSpaces()
        }
        return nil
    }
}

extension String {
    func trimmedOfSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
