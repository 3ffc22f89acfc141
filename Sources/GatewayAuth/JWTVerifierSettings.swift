/// How tokens are verified: keys, allowed algorithms and claim checks (`auth.*`).
public struct JWTVerifierSettings: Sendable {
    /// The HMAC secret (HS256/384/512), at least 32 bytes.
    public var hmacSecret: [UInt8]?
    /// PEM public keys (RSA: RS256/384/512; EC P-256: ES256; EC P-384: ES384).
    public var publicKeyPEMs: [String]
    /// A JWKS document (`{"keys": [...]}`) with public keys selected by `kid`.
    public var jwksJSON: String?
    /// The algorithms accepted; `nil` accepts every algorithm the configured keys can
    /// verify. `none` is never accepted, and HMAC only with ``hmacSecret``.
    public var algorithms: [String]?
    /// The required `aud` (the token's `aud` must be it or contain it); `nil` skips the check.
    public var audience: String?
    /// The required `iss`; `nil` skips the check.
    public var issuer: String?
    /// Clock skew allowed on `nbf` (an issuer whose clock runs ahead), in seconds.
    /// Default 30. `exp` is enforced as written.
    public var leewaySeconds: Double

    /// Creates settings.
    public init(
        hmacSecret: [UInt8]? = nil,
        publicKeyPEMs: [String] = [],
        jwksJSON: String? = nil,
        algorithms: [String]? = nil,
        audience: String? = nil,
        issuer: String? = nil,
        leewaySeconds: Double = 30
    ) {
        self.hmacSecret = hmacSecret
        self.publicKeyPEMs = publicKeyPEMs
        self.jwksJSON = jwksJSON
        self.algorithms = algorithms
        self.audience = audience
        self.issuer = issuer
        self.leewaySeconds = leewaySeconds
    }

    /// Whether any key is configured.
    public var hasKeys: Bool { hmacSecret != nil || !publicKeyPEMs.isEmpty || jwksJSON != nil }

    /// The minimum HMAC secret length, in bytes (RFC 7518 §3.2 for HS256).
    public static let minimumHMACSecretBytes = 32

    /// Every algorithm the gateway can verify.
    public static let supportedAlgorithms = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"]
}
