import ArgumentParser
import Foundation
import GatewayApp
import GatewayHTTP
import GatewayPush
import Logging
import Metrics
import NIOSSL
import Prometheus
import STOMPBroker
import STOMPClient

/// `stomp-gateway serve`: runs the gateway; with no broker named, an embedded one.
///
/// Settings come from, in falling priority: these flags, `STOMP_GATEWAY_*` environment
/// variables, the `--config` YAML file, the defaults (docs/CONFIGURATION.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway (with an embedded STOMP broker unless a broker is named).",
        discussion: """
            Serves STOMP over WebSocket at /stomp, Server-Sent Events at /events (docs/BROWSER-PUSH.md),
            and /healthz, /readyz and /metrics over HTTP. SIGTERM or SIGINT drains and exits 0.
            Flags override STOMP_GATEWAY_* environment variables, which override the --config file.
            """
    )

    @Option(name: .customLong("config"), help: "YAML configuration file (see docs/CONFIGURATION.md).")
    var configFile: String?

    @OptionGroup var broker: BrokerOptions

    @Option(help: "HTTP: address to listen on (default 127.0.0.1).")
    var httpHost: String?

    @Option(help: "HTTP: port, 0 for any free one (default 8080).")
    var httpPort: Int?

    @Option(help: "Embedded broker: address to listen on (default 127.0.0.1).")
    var brokerHost: String?

    @Option(help: "Embedded broker: TCP port, 0 for any free one (default 61613).")
    var brokerPort: Int?

    @Option(help: "Embedded broker: require this login (with --broker-passcode).")
    var brokerLogin: String?

    @Option(help: "Embedded broker: require this passcode.")
    var brokerPasscode: String?

    func validate() throws {
        if let brokerPort, !(0...65535).contains(brokerPort) { throw ValidationError("--broker-port must be 0–65535, got \(brokerPort)") }
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be 0–65535, got \(httpPort)") }
        guard (brokerLogin == nil) == (brokerPasscode == nil) else {
            throw ValidationError("--broker-login and --broker-passcode go together")
        }
    }

    func run() async throws {
        var settings: GatewayConfiguration
        do {
            settings = try await GatewayConfiguration.load(filePath: configFile)
        } catch {
            throw CommandError("\(error)")
        }
        StompGatewayCommand.bootstrapLogging(fallback: settings.logLevel)
        if let httpHost { settings.http.host = httpHost }
        if let httpPort { settings.http.port = httpPort }
        let mode: GatewayApplication.BrokerMode
        let urls = try broker.urls()
        if !urls.isEmpty {
            // The command line names the brokers (and may override login, passcode, vhost);
            // the rest of `broker.*` (heart-beats) still comes from the configuration.
            settings.broker.urls = urls
            if let login = broker.login { settings.broker.login = login }
            if let passcode = broker.passcode { settings.broker.passcode = passcode }
            if let virtualHost = broker.virtualHost { settings.broker.virtualHost = virtualHost }
        }
        if let client = settings.clientConfiguration() {
            mode = .external(client)
        } else {
            var embedded = settings.embeddedBrokerConfiguration()
            if let brokerHost { embedded.host = brokerHost }
            if let brokerPort { embedded.port = brokerPort }
            if let brokerLogin, let brokerPasscode { embedded.credentials = (brokerLogin, brokerPasscode) }
            mode = .embedded(embedded)
        }
        try await Self.launch(settings: settings, mode: mode)
    }

    /// Runs a gateway with `settings` on `mode`'s broker until SIGTERM or SIGINT.
    static func launch(
        settings: GatewayConfiguration,
        mode: GatewayApplication.BrokerMode,
        extensions: [GatewayApplication.Extension] = []
    ) async throws {
        raiseOpenFilesLimit()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Deliveries take microseconds: buckets from 50 µs to 2.5 s.
        factory.durationHistogramBuckets["gateway_delivery_latency_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500),
        ]
        MetricsSystem.bootstrap(factory)
        let logger = Logger(label: "stomp-gateway")

        let push: PushSettings
        let authenticator: PushAuthenticator
        let tls: NIOSSLContext?
        do {
            push = try settings.pushSettings()
            authenticator = try await settings.makeAuthenticator()
            tls = try settings.makeHTTPTLSContext()
        } catch {
            throw CommandError("\(error)")
        }
        if push.webSocketEcho {
            logger.warning(
                "diagnostics.websocket_echo is on: /diagnostics/echo echoes WebSocket messages without authentication; keep it off in production"
            )
        }
        var application = GatewayApplication(
            http: .init(host: settings.http.host, port: settings.http.port),
            broker: mode,
            push: push,
            authenticator: authenticator,
            tls: tls,
            apiKeys: settings.auth.apiKeys,
            apiDefaultTimeout: .milliseconds(Int64(settings.auth.apiDefaultTimeoutSeconds * 1000)),
            webhooks: settings.webhooks,
            webDirectory: settings.http.webDirectory,
            registry: registry,
            logger: logger,
            announce: { Console.line($0) }
        )
        application.extensions = extensions
        do {
            try await application.run()
        } catch let error as GatewayStartupError {
            throw CommandError(error.description)
        }
    }
}

/// Raises the soft limit on open files to the hard one: every browser connection is a
/// file descriptor, and many systems start processes with a soft limit of 1,024.
func raiseOpenFilesLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
