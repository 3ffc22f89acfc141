import ArgumentParser
import Foundation
import NIOCore
import STOMPClient
import STOMPCore

/// `stomp-gateway publish`: sends one message and waits for the broker's receipt.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Send one message to a destination; exits once the broker confirmed it.",
        discussion: "Example: stomp-gateway publish --broker stomp://127.0.0.1:61613 /topic/orders.42 '{\"status\":\"paid\"}'"
    )

    @OptionGroup var broker: BrokerOptions

    @Argument(help: "Destination, e.g. /queue/orders or /topic/orders.42.")
    var destination: String

    @Argument(help: "Message body; '-' or nothing reads standard input.")
    var body: String?

    @Option(name: .customLong("header"), help: "Extra header name:value (repeatable).")
    var headers: [String] = []

    @Option(help: "content-type header.")
    var contentType: String?

    @Flag(help: "Do not wait for the broker's receipt.")
    var noReceipt = false

    func run() async throws {
        StompGatewayCommand.bootstrapLogging()
        var frameHeaders = STOMPHeaders()
        for header in headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("--header must be name:value, got '\(header)'")
            }
            frameHeaders.add(name: String(header[..<colon]), value: String(header[header.index(after: colon)...]))
        }
        if let contentType { frameHeaders[STOMPHeaderName.contentType] = contentType }
        let bytes: ByteBuffer
        if let body, body != "-" {
            bytes = ByteBuffer(string: body)
        } else {
            bytes = ByteBuffer(bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
        }
        var configuration = broker.clientConfiguration(urls: try broker.urls(default: "stomp://127.0.0.1:61613"))
        configuration.reconnect = nil
        let client = try STOMPClient(configuration: configuration)
        try await client.connect()
        do {
            try await client.send(to: destination, body: bytes, headers: frameHeaders, receipt: !noReceipt)
        } catch {
            try? await client.disconnect()
            throw error
        }
        try await client.disconnect()
        Console.error("published \(bytes.readableBytes) bytes to \(destination)")
    }
}
