import ArgumentParser
import STOMPClient

/// Options naming an external broker, shared by the commands.
struct BrokerOptions: ParsableArguments {
    @Option(
        name: .customLong("broker"),
        help: "Broker URL, e.g. stomp://guest:guest@127.0.0.1:61613; repeat it (or separate with commas) for a failover list."
    )
    var brokers: [String] = []

    @Option(help: "Login (overrides the URL's).")
    var login: String?

    @Option(help: "Passcode (overrides the URL's).")
    var passcode: String?

    @Option(name: .customLong("vhost"), help: "The CONNECT host header / RabbitMQ virtual host (default: the URL's ?host=, else /).")
    var virtualHost: String?

    func urls(default defaultURL: String? = nil) throws -> [STOMPBrokerURL] {
        let texts = brokers.isEmpty ? (defaultURL.map { [$0] } ?? []) : brokers
        do {
            return try texts.flatMap { try STOMPBrokerURL.list($0) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func clientConfiguration(urls: [STOMPBrokerURL]) -> STOMPClientConfiguration {
        var configuration = STOMPClientConfiguration(brokers: urls)
        configuration.login = login
        configuration.passcode = passcode
        configuration.virtualHost = virtualHost
        return configuration
    }
}
