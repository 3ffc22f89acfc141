import ArgumentParser
import Foundation
import STOMPClient
import STOMPCore

/// `stomp-gateway subscribe`: prints messages as they arrive.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Print the messages of a destination as they arrive (one per line).",
        discussion: "Stops after --count messages, or on SIGINT."
    )

    @OptionGroup var broker: BrokerOptions

    @Argument(help: "Destination, e.g. /queue/orders or /topic/orders.42.")
    var destination: String

    @Option(help: "Acknowledgement mode: auto, client or client-individual (messages are acknowledged once printed).")
    var ack = "auto"

    @Option(help: "Exit after this many messages.")
    var count: Int?

    @Flag(help: "Print each message's headers before its body.")
    var showHeaders = false

    @Option(help: "Make a topic subscription durable under this name (needs --broker-kind).")
    var durable: String?

    @Option(help: "Broker kind for --durable: activemq, artemis or rabbitmq.")
    var brokerKind: String?

    func run() async throws {
        StompGatewayCommand.bootstrapLogging()
        guard let ackMode = STOMPAckMode(rawValue: ack) else {
            throw ValidationError("--ack must be auto, client or client-individual, got '\(ack)'")
        }
        var headers = STOMPHeaders()
        var configuration = broker.clientConfiguration(urls: try broker.urls(default: "stomp://127.0.0.1:61613"))
        var subscriptionID: String?
        if let durable {
            guard let kind = brokerKind.flatMap(STOMPDurableSubscription.Broker.init(rawValue:)) else {
                throw ValidationError("--durable needs --broker-kind activemq, artemis or rabbitmq")
            }
            headers = STOMPDurableSubscription.headers(name: durable, broker: kind)
            configuration.clientID = configuration.clientID ?? "stomp-gateway-\(durable)"
            subscriptionID = durable
        }
        let client = try STOMPClient(configuration: configuration)
        try await client.connect()
        let subscription = try await client.subscribe(to: destination, ack: ackMode, headers: headers, id: subscriptionID)
        Console.error("subscribed to \(destination)")
        var received = 0
        for try await message in subscription {
            var text = ""
            if showHeaders {
                for header in message.headers { text += "\(header.name): \(header.value)\n" }
                text += "\n"
            }
            text += message.bodyString + "\n"
            FileHandle.standardOutput.write(Data(text.utf8))
            if ackMode != .auto { try await client.ack(message) }
            received += 1
            if let count, received >= count { break }
        }
        try await client.disconnect()
    }
}
