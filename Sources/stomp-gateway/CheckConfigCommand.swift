import ArgumentParser
import Foundation
import GatewayApp

/// `stomp-gateway check-config`: loads a configuration file (with the `STOMP_GATEWAY_*`
/// environment over it) and prints the effective settings, or every error in it.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a configuration file and print the effective settings (secrets redacted).",
        discussion: """
            STOMP_GATEWAY_* environment variables override the file, as they do when the \
            gateway runs. Exits 0 and prints "configuration OK" when everything is valid; \
            otherwise prints every error, one per line, and exits 1.
            Example: stomp-gateway check-config deploy/stomp-gateway.example.yaml
            """
    )

    @Argument(help: "The YAML configuration file; leave it out to check the environment and defaults alone.")
    var file: String?

    func run() async throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try await GatewayConfiguration.load(filePath: file, environment: ProcessInfo.processInfo.environment)
        } catch let error as GatewayConfigurationError {
            let count = error.issues.count
            throw CommandError("the configuration has \(count) error\(count == 1 ? "" : "s"):\n\(error)")
        }
        // The key files and the TLS files must be usable too.
        do {
            _ = try await configuration.makeAuthenticator()
            _ = try configuration.makeHTTPTLSContext()
        } catch {
            throw CommandError("the configuration has 1 error:\n\(error)")
        }
        Console.line(configuration.redactedDescription)
        Console.line("configuration OK")
    }
}
