import Foundation
import GatewayCore
import JWTKit

/// Verifies the gateway's JWTs with jwt-kit and turns their claims into an
/// ``GatewayCore/AccessGrant``.
///
/// Threats handled before jwt-kit sees the token: `alg: none` and any algorithm outside
/// the allowlist are refused by name; an HMAC algorithm is refused unless an HMAC secret
/// is configured, so a token "signed" with a public key as HMAC secret never verifies
/// (each algorithm has its own key collection holding only keys of its kind). Then:
/// the signature, `exp` (required), `nbf`, `aud`, `iss`, and the grant patterns.
///
/// ```swift
/// let verifier = try await JWTTokenVerifier(settings: .init(hmacSecret: Array(secret.utf8)))
/// let grant = try await verifier.verify(token, now: Date().timeIntervalSince1970)
/// ```
public final class JWTTokenVerifier: TokenVerifying {
    /// The settings in force.
    public let settings: JWTVerifierSettings
    /// The algorithms accepted, each with the keys that can verify it.
    private let collections: [String: JWTKeyCollection]
    /// Keys from the JWKS file, by `kid`.
    private let jwks: JWTKeyCollection?
    private let jwksKeyIDs: Set<String>

    /// Algorithms accepted, sorted.
    public var acceptedAlgorithms: [String] { collections.keys.sorted() }

    /// Loads the keys.
    ///
    /// - Throws: ``JWTSetupError`` naming the problem: an HMAC secret shorter than 32
    ///   bytes, a PEM that is not an RSA or EC (P-256/P-384) public key, a JWKS that does
    ///   not parse, an unknown algorithm in the allowlist, or an allowlist no key serves.
    public init(settings: JWTVerifierSettings) async throws(JWTSetupError) {
        self.settings = settings
        let allowed = Set(settings.algorithms ?? JWTVerifierSettings.supportedAlgorithms)
        for algorithm in allowed where !JWTVerifierSettings.supportedAlgorithms.contains(algorithm) {
            throw JWTSetupError(
                "auth.algorithms: \(algorithm) is not supported (supported: \(JWTVerifierSettings.supportedAlgorithms.joined(separator: ", ")); never none)"
            )
        }
        var collections: [String: JWTKeyCollection] = [:]
        func collection(_ algorithm: String) -> JWTKeyCollection? {
            guard allowed.contains(algorithm) else { return nil }
            if let existing = collections[algorithm] { return existing }
            let created = JWTKeyCollection()
            collections[algorithm] = created
            return created
        }
        if let secret = settings.hmacSecret {
            guard secret.count >= JWTVerifierSettings.minimumHMACSecretBytes else {
                throw JWTSetupError(
                    "auth.hmac_secret is \(secret.count) bytes; at least \(JWTVerifierSettings.minimumHMACSecretBytes) are required (generate one with: openssl rand -base64 48)"
                )
            }
            let key = HMACKey(from: secret)
            if let c = collection("HS256") { await c.add(hmac: key, digestAlgorithm: .sha256) }
            // RFC 7518 §3.2: the key must be at least as long as the hash output.
            if secret.count >= 48, let c = collection("HS384") { await c.add(hmac: key, digestAlgorithm: .sha384) }
            if secret.count >= 64, let c = collection("HS512") { await c.add(hmac: key, digestAlgorithm: .sha512) }
        }
        for (index, pem) in settings.publicKeyPEMs.enumerated() {
            if pem.contains("PRIVATE KEY") {
                throw JWTSetupError("auth.public_key_files[\(index)] holds a private key; give the gateway only the public key")
            }
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                if let c = collection("RS256") { await c.add(rsa: rsa, digestAlgorithm: .sha256) }
                if let c = collection("RS384") { await c.add(rsa: rsa, digestAlgorithm: .sha384) }
                if let c = collection("RS512") { await c.add(rsa: rsa, digestAlgorithm: .sha512) }
            } else if let p256 = try? ES256PublicKey(pem: pem) {
                if let c = collection("ES256") { await c.add(ecdsa: p256) }
            } else if let p384 = try? ES384PublicKey(pem: pem) {
                if let c = collection("ES384") { await c.add(ecdsa: p384) }
            } else {
                throw JWTSetupError("auth.public_key_files[\(index)] is not a PEM RSA or EC (P-256, P-384) public key")
            }
        }
        if let json = settings.jwksJSON {
            let keys = JWTKeyCollection()
            do {
                try await keys.add(jwksJSON: json)
                let document = try JSONDecoder().decode(JWKS.self, from: Data(json.utf8))
                jwksKeyIDs = Set(document.keys.compactMap { $0.keyIdentifier?.string })
            } catch {
                throw JWTSetupError("auth.jwks_file does not parse as a JWKS document: \(error)")
            }
            jwks = keys
        } else {
            jwks = nil
            jwksKeyIDs = []
        }
        if settings.hasKeys && collections.isEmpty && jwks == nil {
            throw JWTSetupError("auth.algorithms allows none of the algorithms the configured keys can verify")
        }
        self.collections = collections
    }

    public func verify(_ token: String, now: Double) async throws(TokenError) -> AccessGrant {
        guard settings.hasKeys else { throw .notConfigured }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16 * 1024 else {
            throw .invalid("the token is not a JWT (three base64url parts separated by dots)")
        }
        guard let headerData = Self.base64URLDecode(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let algorithm = header["alg"] as? String
        else {
            throw .invalid("the token's header does not parse or has no alg")
        }
        if algorithm.lowercased() == "none" {
            throw .invalid("algorithm none is never accepted")
        }
        let kid = header["kid"] as? String
        let keys: JWTKeyCollection
        if let kid, let jwks, jwksKeyIDs.contains(kid), !algorithm.hasPrefix("HS") {
            guard settings.algorithms == nil || settings.algorithms!.contains(algorithm) else {
                throw .invalid("algorithm \(algorithm) is not allowed (allowed: \(acceptedAlgorithms.joined(separator: ", ")))")
            }
            keys = jwks
        } else if let collection = collections[algorithm] {
            keys = collection
        } else if algorithm.hasPrefix("HS") && settings.hmacSecret == nil {
            throw .invalid("algorithm \(algorithm) is not accepted: this gateway verifies tokens with public keys only")
        } else {
            throw .invalid("algorithm \(algorithm) is not allowed (allowed: \(acceptedAlgorithms.joined(separator: ", ")))")
        }
        let claims: GatewayClaims
        do {
            claims = try await keys.verify(token, as: GatewayClaims.self)
        } catch {
            throw .invalid("the token's signature does not verify (or its claims do not parse)")
        }
        let leeway = settings.leewaySeconds
        guard let exp = claims.exp else { throw .invalid("the token has no exp claim; tokens must expire") }
        // `exp` is enforced as written (a connection ends at it); the leeway is for an
        // issuer whose clock runs ahead, on `nbf`.
        if now >= exp { throw .expired }
        if let nbf = claims.nbf, now + leeway < nbf { throw .invalid("the token is not valid yet (nbf is in the future)") }
        if let audience = settings.audience, !(claims.aud ?? []).contains(audience) {
            throw .invalid("the token is for another audience (expected aud \(audience))")
        }
        if let issuer = settings.issuer, claims.iss != issuer {
            throw .invalid("the token is from another issuer (expected iss \(issuer))")
        }
        let grants: DestinationGrants
        do {
            grants = try DestinationGrants(subscribe: claims.subscribe ?? [], publish: claims.publish ?? [])
        } catch {
            throw .invalid("the token's grants hold an invalid pattern: \(error)")
        }
        return AccessGrant(grants: grants, subject: claims.sub, expiresAt: exp)
    }

    static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
