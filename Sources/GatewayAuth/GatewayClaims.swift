import JWTKit

/// The claims the gateway reads from a token.
///
/// ```json
/// {"sub": "customer-981", "exp": 1767225600, "subscribe": ["/topic/orders.42"], "publish": []}
/// ```
///
/// `aud` may be a string or a list of strings. Claim checks (`exp`, `nbf`, `aud`,
/// `iss`) are made by ``JWTTokenVerifier`` with the configured leeway, so that each
/// failure has its own message.
public struct GatewayClaims: JWTPayload, Equatable {
    /// Subject.
    public var sub: String?
    /// Expiry, seconds since 1970 (required by the gateway).
    public var exp: Double?
    /// Not before, seconds since 1970.
    public var nbf: Double?
    /// Issued at.
    public var iat: Double?
    /// Audience(s).
    public var aud: [String]?
    /// Issuer.
    public var iss: String?
    /// Destination patterns that may be subscribed to.
    public var subscribe: [String]?
    /// Destination patterns that may be published to.
    public var publish: [String]?

    /// Creates claims.
    public init(
        sub: String? = nil,
        exp: Double?,
        nbf: Double? = nil,
        iat: Double? = nil,
        aud: [String]? = nil,
        iss: String? = nil,
        subscribe: [String]? = nil,
        publish: [String]? = nil
    ) {
        self.sub = sub
        self.exp = exp
        self.nbf = nbf
        self.iat = iat
        self.aud = aud
        self.iss = iss
        self.subscribe = subscribe
        self.publish = publish
    }

    enum CodingKeys: String, CodingKey {
        case sub, exp, nbf, iat, aud, iss, subscribe, publish
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sub = try container.decodeIfPresent(String.self, forKey: .sub)
        exp = try container.decodeIfPresent(Double.self, forKey: .exp)
        nbf = try container.decodeIfPresent(Double.self, forKey: .nbf)
        iat = try container.decodeIfPresent(Double.self, forKey: .iat)
        if let single = try? container.decodeIfPresent(String.self, forKey: .aud) {
            aud = [single]
        } else {
            aud = try container.decodeIfPresent([String].self, forKey: .aud)
        }
        iss = try container.decodeIfPresent(String.self, forKey: .iss)
        subscribe = try container.decodeIfPresent([String].self, forKey: .subscribe)
        publish = try container.decodeIfPresent([String].self, forKey: .publish)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sub, forKey: .sub)
        try container.encodeIfPresent(exp.map { Int64($0) }, forKey: .exp)
        try container.encodeIfPresent(nbf.map { Int64($0) }, forKey: .nbf)
        try container.encodeIfPresent(iat.map { Int64($0) }, forKey: .iat)
        if let aud { try container.encode(aud.count == 1 ? [aud[0]] : aud, forKey: .aud) }
        try container.encodeIfPresent(iss, forKey: .iss)
        try container.encodeIfPresent(subscribe, forKey: .subscribe)
        try container.encodeIfPresent(publish, forKey: .publish)
    }

    /// Claim checks are made by ``JWTTokenVerifier``; the signature is all jwt-kit checks.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
