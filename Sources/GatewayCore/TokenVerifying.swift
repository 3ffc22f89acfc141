/// Turns a bearer token into an ``AccessGrant``, or says why it cannot.
///
/// The gateway's implementation verifies JWTs (module GatewayAuth); tests may supply
/// their own. Implementations must not log or echo the token.
public protocol TokenVerifying: Sendable {
    /// Verifies `token` at `now` (seconds since 1970).
    func verify(_ token: String, now: Double) async throws(TokenError) -> AccessGrant
}
