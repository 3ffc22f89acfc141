import Foundation
import NIOCore
import Testing

@testable import GatewayWebhooks

@Suite("Standard Webhooks signing")
struct WebhookSigningTests {
    /// The example from the Standard Webhooks specification.
    @Test func specificationExample() throws {
        let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signer = WebhookSigner(secrets: [secret])
        let signature = signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: ByteBuffer(string: #"{"test": 2432232314}"#)
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func severalSecretsSignOnceEach() throws {
        let first = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let second = try WebhookSecret(WebhookSecret.generate())
        let body = ByteBuffer(string: "hello")
        let both = WebhookSigner(secrets: [first, second]).signature(id: "a", timestamp: 1, body: body)
        let parts = both.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == WebhookSigner(secrets: [first]).signature(id: "a", timestamp: 1, body: body))
        #expect(parts[1] == WebhookSigner(secrets: [second]).signature(id: "a", timestamp: 1, body: body))
    }

    @Test(arguments: [
        ("secret", "must start with 'whsec_'"),
        ("whsec_!!!", "not valid base64"),
        ("whsec_c2hvcnQ=", "decodes to 5 bytes"),
    ])
    func badSecretsAreRefused(text: String, reason: String) {
        do {
            _ = try WebhookSecret(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func generatedSecretsParse() throws {
        let text = WebhookSecret.generate()
        #expect(text.hasPrefix("whsec_"))
        #expect(try WebhookSecret(text).key.count == 32)
    }
}
