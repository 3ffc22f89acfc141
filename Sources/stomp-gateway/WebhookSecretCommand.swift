import ArgumentParser
import GatewayWebhooks

/// `stomp-gateway webhook-secret`: prints a new Standard Webhooks signing secret.
struct WebhookSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-secret",
        abstract: "Print a new webhook signing secret (whsec_ and 32 random bytes in base64).",
        discussion: """
            Put it in the endpoint's secrets (or the variable named by secrets_env) and give it to the receiver,
            which verifies webhook-signature with it (any Standard Webhooks library). docs/WEBHOOKS.md
            """
    )

    @Option(help: "Random bytes (24 to 64, default 32).")
    var bytes = 32

    func validate() throws {
        guard (WebhookSecret.minimumKeyLength...WebhookSecret.maximumKeyLength).contains(bytes) else {
            throw ValidationError("--bytes must be \(WebhookSecret.minimumKeyLength) to \(WebhookSecret.maximumKeyLength)")
        }
    }

    func run() throws {
        print(WebhookSecret.generate(byteCount: bytes))
    }
}
