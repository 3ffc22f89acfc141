import ArgumentParser
import Foundation
import GatewayApp
import GatewayAuth

/// `stomp-gateway token`: mints a development token with the configured HMAC secret.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development token (HS256) with the configured secret (auth.hmac_secret).",
        discussion: """
            Example: stomp-gateway token --config gateway.yaml --subscribe '/topic/orders.42' --ttl 3600
            Patterns: an exact destination, * for one segment, a trailing ** for any (docs/BROWSER-PUSH.md).
            Production tokens come from the shop's backend, signed with the same secret or a private key.
            """
    )

    @Option(name: .customLong("config"), help: "YAML configuration file holding auth.hmac_secret (or use STOMP_GATEWAY_AUTH_HMAC_SECRET).")
    var configFile: String?

    @Option(help: "A destination pattern the token may subscribe to (repeatable).")
    var subscribe: [String] = []

    @Option(help: "A destination pattern the token may publish to (repeatable).")
    var publish: [String] = []

    @Option(help: "Lifetime in seconds (default 3600).")
    var ttl: Int = 3600

    @Option(help: "The subject (sub claim).")
    var subject: String?

    func validate() throws {
        guard ttl > 0 else { throw ValidationError("--ttl must be at least 1 second") }
        guard !subscribe.isEmpty || !publish.isEmpty else {
            throw ValidationError("grant something: --subscribe PATTERN and/or --publish PATTERN")
        }
    }

    func run() async throws {
        let settings: GatewayConfiguration
        do {
            settings = try await GatewayConfiguration.load(filePath: configFile)
        } catch {
            throw CommandError("\(error)")
        }
        guard let secret = try settings.hmacSecret() else {
            throw CommandError("no HMAC secret configured: set auth.hmac_secret (or STOMP_GATEWAY_AUTH_HMAC_SECRET, or auth.hmac_secret_file)")
        }
        let now = Date().timeIntervalSince1970.rounded(.down)
        let claims = GatewayClaims(
            sub: subject,
            exp: now + Double(ttl),
            iat: now,
            aud: settings.auth.audience.map { [$0] },
            iss: settings.auth.issuer,
            subscribe: subscribe,
            publish: publish
        )
        do {
            Console.line(try await JWTTokenMinter.mint(secret: secret, claims: claims))
        } catch {
            throw CommandError("\(error)")
        }
    }
}
