import ArgumentParser
import Logging

/// `stomp-gateway`: carries messages from a STOMP broker to browsers and webhooks.
@main
struct StompGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stomp-gateway",
        abstract: "Carries messages from a STOMP broker to browsers and webhooks.",
        discussion: """
            Without --broker, `serve` starts an embedded STOMP broker on 127.0.0.1:61613.
            Broker URLs look like stomp://[login:passcode@]host[:port][?host=VHOST];
            use stomp+ssl:// for TLS. Set LOG_LEVEL (trace, debug, info, warning, error).
            """,
        subcommands: [
            ServeCommand.self, PublishCommand.self, SubscribeCommand.self, TokenCommand.self, WebhookSecretCommand.self, DemoCommand.self,
            CheckConfigCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    /// Sets up logging to standard error once per process: `LOG_LEVEL` wins, then
    /// `fallback` (the configuration's `log.level`).
    static func bootstrapLogging(fallback: Logger.Level = .info) {
        let level = Environment.value("LOG_LEVEL").flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? fallback
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
