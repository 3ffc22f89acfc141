import ArgumentParser
import Foundation
import GatewayApp
import GatewayDemo
import GatewayWebhooks
import Logging
import STOMPClient

/// `stomp-gateway demo`: the whole story in one command — a shop, its order pipeline
/// over STOMP, the thank-you page with live statuses, a webhook receiver and the admin
/// page, on the embedded broker.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo shop: buy, see the thank-you page at once, watch the order's statuses arrive live.",
        discussion: """
            Opens the shop at http://127.0.0.1:8080/ and the admin page at /admin (the key is printed).
            Uses the embedded broker unless --broker names one. --role web or services splits the demo over two
            processes (same --hmac-secret and --webhook-secret), e.g. to restart the gateway while the pipeline goes on.
            """
    )

    @Option(help: "HTTP address (default 127.0.0.1; 0.0.0.0 in a container).")
    var httpHost = "127.0.0.1"

    @Option(help: "HTTP port (default 8080; 0 picks a free one).")
    var httpPort = 8080

    @Option(help: "Use this broker instead of the embedded one (stomp://host:port).")
    var broker: String?

    @Option(help: "Embedded broker port (default 0: any free one).")
    var brokerPort = 0

    @Option(help: "all (default), web (gateway and shop backend) or services (the order pipeline only).")
    var role: String = "all"

    @Option(help: "Multiplies the pipeline's delays (default 1: about 4–8 s from order to carrier).")
    var delayScale = 1.0

    @Option(help: "HS256 secret for page tokens, at least 32 characters (default: random).")
    var hmacSecret: String?

    @Option(help: "Webhook signing secret, whsec_… (default: random).")
    var webhookSecret: String?

    @Option(help: "Admin key for /admin, at least 16 characters (default: random).")
    var adminKey: String?

    func validate() throws {
        guard DemoFeature.Role(rawValue: role) != nil else { throw ValidationError("--role must be all, web or services") }
        guard (0...65535).contains(httpPort), (0...65535).contains(brokerPort) else { throw ValidationError("ports are 0–65535") }
        if let hmacSecret, hmacSecret.utf8.count < 32 { throw ValidationError("--hmac-secret needs at least 32 characters") }
        if let adminKey, adminKey.utf8.count < 16 { throw ValidationError("--admin-key needs at least 16 characters") }
        guard delayScale > 0 else { throw ValidationError("--delay-scale must be positive") }
    }

    func run() async throws {
        StompGatewayCommand.bootstrapLogging(fallback: .notice)
        let role = DemoFeature.Role(rawValue: role)!
        let secret = hmacSecret ?? Self.random(32)
        let webhook = try WebhookSecret(webhookSecret ?? WebhookSecret.generate())
        let admin = adminKey ?? Self.random(24)
        let port = httpPort == 0 ? try Self.freePort() : httpPort

        var settings = GatewayConfiguration()
        settings.logLevel = .notice
        settings.http.port = port
        settings.http.host = httpHost
        settings.auth.hmacSecret = secret
        settings.webhooks.adminKeys = [admin]
        let feature = DemoFeature(
            role: role,
            hmacSecret: Array(secret.utf8),
            webhookSecret: webhook,
            delayScale: delayScale,
            logger: Logger(label: "stomp-gateway.demo")
        )
        if role != .services {
            settings.webhooks.routes = [feature.webhookRoute(receiverURL: "http://127.0.0.1:\(port)/demo/webhook-receiver")]
        }
        let mode: GatewayApplication.BrokerMode
        if let broker {
            mode = .external(STOMPClientConfiguration(brokers: [try STOMPBrokerURL(broker)]))
        } else {
            var embedded = settings.embeddedBrokerConfiguration()
            embedded.port = brokerPort
            mode = .embedded(embedded)
        }
        if role != .services {
            let shown = httpHost == "0.0.0.0" ? "127.0.0.1" : httpHost
            Console.line("stomp-gateway demo: open http://\(shown):\(port)/   (the shop)")
            Console.line("stomp-gateway demo: admin page http://\(shown):\(port)/admin#key=\(admin)")
        } else {
            Console.line("stomp-gateway demo: order pipeline running (payment, stock, shipping)")
        }
        try await ServeCommand.launch(settings: settings, mode: mode, extensions: [feature.gatewayExtension()])
    }

    static func random(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A port free now (bound and released), for the webhook receiver's URL.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CommandError("cannot find a free port; pass --http-port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
