/// Why a token was refused, in words for an HTTP 401 body, a STOMP ERROR frame or an
/// SSE error event. The description never includes the token itself.
public struct TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for programs (`token_expired`, `invalid_token`, …).
    public let code: String
    /// What was wrong, for people.
    public let message: String

    /// Creates an error.
    public init(code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The token is malformed, badly signed, or fails a claim check.
    public static func invalid(_ message: String) -> TokenError { TokenError(code: "invalid_token", message) }
    /// The token's `exp` has passed.
    public static let expired = TokenError(code: "token_expired", "the token expired")
    /// Tokens cannot be verified because no key is configured.
    public static let notConfigured = TokenError(
        code: "invalid_token",
        "this gateway has no token keys configured (auth.hmac_secret, auth.public_key_files or auth.jwks_file)"
    )
}
