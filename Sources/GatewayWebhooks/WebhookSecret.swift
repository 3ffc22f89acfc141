import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of 24 to 64
/// random bytes. The HMAC key is the decoded bytes.
///
/// ```swift
/// let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
/// ```
public struct WebhookSecret: Sendable, Hashable {
    /// The HMAC key.
    public let key: [UInt8]

    /// The shortest key accepted, in bytes (Standard Webhooks recommends 24 to 64).
    public static let minimumKeyLength = 24
    /// The longest key accepted, in bytes.
    public static let maximumKeyLength = 64

    /// Parses `text` (`whsec_<base64>`).
    ///
    /// - Throws: ``WebhookConfigurationError`` saying what is wrong, never echoing the secret.
    public init(_ text: String) throws(WebhookConfigurationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("whsec_") else {
            throw WebhookConfigurationError("a signing secret must start with 'whsec_' followed by base64 (Standard Webhooks)")
        }
        guard let decoded = Data(base64Encoded: String(trimmed.dropFirst(6))) else {
            throw WebhookConfigurationError("the signing secret after 'whsec_' is not valid base64")
        }
        guard (Self.minimumKeyLength...Self.maximumKeyLength).contains(decoded.count) else {
            throw WebhookConfigurationError(
                "the signing secret decodes to \(decoded.count) bytes; use \(Self.minimumKeyLength) to \(Self.maximumKeyLength) random bytes"
            )
        }
        key = Array(decoded)
    }

    /// A new random secret, as `whsec_<base64>` text.
    public static func generate(byteCount: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }
}
