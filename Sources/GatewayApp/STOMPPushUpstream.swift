import GatewayPush
import Logging
import NIOCore
import STOMPClient
import STOMPCore

/// The feeds' broker side on a ``STOMPClient``: subscriptions read by one task each
/// (per destination or pattern, not per browser), publishing with optional receipts.
/// Wildcard patterns are written in the connected broker's syntax: `**` becomes `>` on
/// ActiveMQ and `#` elsewhere (RabbitMQ, the embedded broker); `*` stays.
struct STOMPPushUpstream: PushUpstream {
    let client: STOMPClient
    let logger: Logger

    private struct Handle: PushUpstreamSubscription {
        let subscription: STOMPSubscription
        let task: Task<Void, Never>

        func cancel() async {
            task.cancel()
            try? await subscription.unsubscribe()
        }
    }

    var isConnected: Bool { client.isConnected }

    /// `destination` in the broker's wildcard syntax.
    func brokerName(for destination: String) -> String {
        guard destination.hasSuffix("**") else { return destination }
        let any = (client.connectedServer ?? "").lowercased().contains("activemq") ? ">" : "#"
        return String(destination.dropLast(2)) + any
    }

    func subscribe(
        _ destination: String,
        onMessage: @escaping @Sendable (PushUpstreamMessage) -> Void
    ) async throws -> any PushUpstreamSubscription {
        let name = brokerName(for: destination)
        let subscription = try await client.subscribe(to: name, ack: .auto, receipt: true)
        let logger = self.logger
        let task = Task {
            do {
                for try await message in subscription {
                    let actual = message.destination.isEmpty ? name : message.destination
                    // ActiveMQ's advisory topics match `/topic/>` but are not statuses.
                    if actual.hasPrefix("/topic/ActiveMQ.Advisory.") { continue }
                    onMessage(
                        PushUpstreamMessage(
                            destination: actual,
                            headers: message.headers.map { (name: $0.name, value: $0.value) },
                            body: message.body
                        )
                    )
                }
            } catch {
                logger.warning("upstream subscription ended", metadata: ["destination": "\(name)", "error": "\(error)"])
            }
        }
        return Handle(subscription: subscription, task: task)
    }

    /// Declares the stream (a durable RabbitMQ stream queue bound to `amq.topic` for each
    /// binding, through a topic SUBSCRIBE with `x-queue-name`, ended at once) and reads it
    /// from its first message (`/amq/queue/NAME`, `x-stream-offset:first`).
    func subscribeStream(
        _ name: String,
        bindings: [String],
        maxAge: Duration,
        onMessage: @escaping @Sendable (PushUpstreamMessage, UInt64) -> Void
    ) async throws -> any PushUpstreamSubscription {
        let server = client.connectedServer
        guard client.isConnected else { throw STOMPClientError.notConnectedError }
        guard (server ?? "").lowercased().contains("rabbitmq") else { throw PushStreamUnsupported(server: server) }
        let seconds = max(1, Int(maxAge.components.seconds))
        let declaration: STOMPHeaders = [
            "x-queue-name": name, "x-queue-type": "stream", "durable": "true", "auto-delete": "false",
            "x-max-age": "\(seconds)s", "prefetch-count": "1", "x-stream-offset": "next",
        ]
        for binding in bindings {
            let declared = try await client.subscribe(to: brokerName(for: binding), ack: .client, headers: declaration, receipt: true)
            try await declared.unsubscribe()
        }
        // A stream just declared has no replica for a moment; reading it then is an
        // ERROR that would close this connection (and every feed with it).
        try await Task.sleep(for: .milliseconds(1500))
        let subscription = try await client.subscribe(
            to: "/amq/queue/\(name)",
            ack: .clientIndividual,
            headers: ["prefetch-count": "1000", "x-stream-offset": "first"],
            receipt: true
        )
        let logger = self.logger
        let client = self.client
        let task = Task {
            do {
                for try await message in subscription {
                    if let offset = message.headers["x-stream-offset"].flatMap({ UInt64($0) }), !message.destination.isEmpty {
                        onMessage(
                            PushUpstreamMessage(
                                destination: message.destination,
                                headers: message.headers.map { (name: $0.name, value: $0.value) },
                                body: message.body
                            ),
                            offset
                        )
                    }
                    try? await client.ack(message)
                }
            } catch is CancellationError {
            } catch {
                logger.warning("feeds stream subscription ended", metadata: ["stream": "\(name)", "error": "\(error)"])
            }
        }
        return Handle(subscription: subscription, task: task)
    }

    func publish(destination: String, headers: [(name: String, value: String)], body: ByteBuffer, receipt: Bool) async throws {
        try await client.send(
            to: destination,
            body: body,
            headers: STOMPHeaders(headers.map { ($0.name, $0.value) }),
            receipt: receipt
        )
    }
}
