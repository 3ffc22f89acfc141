import Crypto
import Foundation
import NIOCore

/// Signs deliveries the Standard Webhooks way: the signed content is
/// `webhook-id.webhook-timestamp.body`, the signature HMAC-SHA256 in base64, written
/// `v1,<signature>`; with several secrets (rotation) the header lists one per secret,
/// separated by spaces.
public struct WebhookSigner: Sendable {
    private let keys: [SymmetricKey]

    /// A signer with `secrets` (at least one).
    public init(secrets: [WebhookSecret]) {
        precondition(!secrets.isEmpty, "a webhook endpoint needs at least one signing secret")
        keys = secrets.map { SymmetricKey(data: $0.key) }
    }

    /// The `webhook-signature` header value for a delivery.
    public func signature(id: String, timestamp: Int64, body: ByteBuffer) -> String {
        var signatures: [String] = []
        signatures.reserveCapacity(keys.count)
        let prefix = Array("\(id).\(timestamp).".utf8)
        for key in keys {
            var hmac = HMAC<SHA256>(key: key)
            hmac.update(data: prefix)
            body.withUnsafeReadableBytes { hmac.update(data: $0) }
            signatures.append("v1," + Data(hmac.finalize()).base64EncodedString())
        }
        return signatures.joined(separator: " ")
    }
}
