import Foundation
import JWTKit

/// Mints HS256 development tokens with the configured secret (`stomp-gateway token`).
///
/// ```swift
/// let token = try await JWTTokenMinter.mint(secret: secret, claims: GatewayClaims(exp: now + 3600, subscribe: ["/topic/orders.42"]))
/// ```
public enum JWTTokenMinter {
    /// Signs `claims` with HS256.
    ///
    /// - Throws: ``JWTSetupError`` when the secret is shorter than 32 bytes.
    public static func mint(secret: [UInt8], claims: GatewayClaims) async throws -> String {
        guard secret.count >= JWTVerifierSettings.minimumHMACSecretBytes else {
            throw JWTSetupError(
                "auth.hmac_secret is \(secret.count) bytes; at least \(JWTVerifierSettings.minimumHMACSecretBytes) are required"
            )
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(claims)
    }
}
