import GatewayWebhooks
import Logging
import NIOCore
import STOMPClient
import STOMPCore

/// The webhook dispatcher's broker side on a ``STOMPClient`` of its own:
/// client-individual subscriptions with the broker's prefetch header, durable topic
/// subscriptions in the broker's dialect, and dead letters published with a receipt.
struct STOMPWebhookBroker: WebhookBroker {
    let client: STOMPClient
    let logger: Logger

    private enum Flavor { case rabbitMQ, activeMQ, artemis, embedded }

    private var flavor: Flavor {
        let server = (client.connectedServer ?? "").lowercased()
        if server.contains("rabbitmq") { return .rabbitMQ }
        if server.contains("artemis") { return .artemis }
        if server.contains("activemq") { return .activeMQ }
        return .embedded
    }

    var keepsMessageIDs: Bool { flavor != .rabbitMQ }

    private struct Handle: WebhookAcknowledging {
        let client: STOMPClient
        let message: STOMPMessage
        var isCurrent: Bool { client.isCurrent(message) }
        func acknowledge() async throws { try await client.ack(message, receipt: true) }
    }

    func subscribe(to destination: String, durableName: String?, prefetch: Int, singleActiveConsumer: Bool) async throws -> WebhookSubscription {
        guard client.isConnected else { throw STOMPClientError.notConnectedError }
        var headers: STOMPHeaders = [:]
        let flavor = self.flavor
        switch flavor {
        case .rabbitMQ: headers["prefetch-count"] = String(prefetch)
        case .activeMQ, .artemis: headers["activemq.prefetchSize"] = String(prefetch)
        case .embedded: headers["prefetch-count"] = String(prefetch)
        }
        // RabbitMQ's STOMP adapter (3.10) cannot declare a single-active-consumer queue:
        // there the queue is declared beforehand (docs/WEBHOOKS.md) and SAC applies to
        // every subscriber, the gateway's included.
        if singleActiveConsumer, flavor == .activeMQ || flavor == .artemis {
            headers["activemq.exclusive"] = "true"
        }
        var id: String?
        if let durableName {
            switch flavor {
            case .rabbitMQ:
                for header in STOMPDurableSubscription.headers(name: durableName, broker: .rabbitMQ) { headers[header.name] = header.value }
                id = durableName
            case .activeMQ:
                for header in STOMPDurableSubscription.headers(name: durableName, broker: .activeMQClassic) { headers[header.name] = header.value }
            case .artemis:
                for header in STOMPDurableSubscription.headers(name: durableName, broker: .artemis) { headers[header.name] = header.value }
            case .embedded:
                throw GatewayStartupError("the embedded broker keeps no durable topic subscriptions (\(destination)); read a /queue/ instead")
            }
        }
        let subscription = try await client.subscribe(to: destination, ack: .clientIndividual, headers: headers, id: id)
        let client = self.client
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WebhookInboundMessage.self, throwing: (any Error).self)
        let task = Task {
            do {
                for try await message in subscription {
                    continuation.yield(
                        WebhookInboundMessage(
                            headers: message.headers.map { (name: $0.name, value: $0.value) },
                            body: message.body,
                            handle: Handle(client: client, message: message)
                        )
                    )
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let logger = self.logger
        return WebhookSubscription(messages: stream) {
            task.cancel()
            do { try await subscription.unsubscribe() } catch {
                logger.debug("unsubscribe failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
            }
            continuation.finish()
        }
    }

    func subscribeOnOwnConnection(to destination: String, prefetch: Int) async throws -> WebhookSubscription {
        var configuration = client.configuration
        configuration.clientID = nil
        configuration.reconnect = nil
        let own = try STOMPClient(configuration: configuration, logger: logger)
        try await own.connect()
        do {
            let subscription = try await STOMPWebhookBroker(client: own, logger: logger).subscribe(
                to: destination,
                durableName: nil,
                prefetch: prefetch,
                singleActiveConsumer: false
            )
            return WebhookSubscription(messages: subscription.messages) {
                await subscription.cancel()
                try? await own.disconnect()
            }
        } catch {
            try? await own.disconnect()
            throw error
        }
    }

    func publish(to destination: String, headers: [(name: String, value: String)], body: ByteBuffer) async throws {
        try await client.send(to: destination, body: body, headers: STOMPHeaders(headers.map { ($0.name, $0.value) }), receipt: true)
    }
}
