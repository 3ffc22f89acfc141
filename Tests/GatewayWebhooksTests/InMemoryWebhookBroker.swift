import NIOConcurrencyHelpers
import NIOCore

@testable import GatewayWebhooks

/// A broker in memory: queues with client-individual acknowledgement, redelivery of
/// unacknowledged messages on "reconnect" (a new generation), and dead letters.
final class InMemoryWebhookBroker: WebhookBroker, @unchecked Sendable {
    struct Stored {
        var headers: [(name: String, value: String)]
        var body: String
        var id: String
    }

    private struct State {
        var queues: [String: [Stored]] = [:]
        var generation = 1
        var nextID = 0
        var consumers: [String: AsyncThrowingStream<WebhookInboundMessage, any Error>.Continuation] = [:]
        var unacked: [String: (destination: String, stored: Stored, generation: Int)] = [:]
        var acked: [String] = []
    }

    private let state = NIOLockedValueBox(State())
    let keepsMessageIDs = true

    struct Handle: WebhookAcknowledging {
        let broker: InMemoryWebhookBroker
        let id: String
        let generation: Int
        var isCurrent: Bool { broker.state.withLockedValue { $0.generation == generation } }
        func acknowledge() async throws { try broker.ack(id, generation: generation) }
    }

    struct Stale: Error {}

    func ack(_ id: String, generation: Int) throws {
        try state.withLockedValue { state in
            guard state.generation == generation, state.unacked.removeValue(forKey: id) != nil else { throw Stale() }
            state.acked.append(id)
        }
    }

    /// Publishes to `destination` (delivered at once if someone consumes it).
    func send(_ destination: String, body: String, headers: [(name: String, value: String)] = []) {
        state.withLockedValue { state in
            state.nextID += 1
            var all = headers
            all.insert(("destination", destination), at: 0)
            let stored = Stored(headers: all, body: body, id: "m-\(state.nextID)")
            if let consumer = state.consumers[destination] {
                deliverLocked(&state, stored, destination, consumer)
            } else {
                state.queues[destination, default: []].append(stored)
            }
        }
    }

    /// Hands `stored` to `consumer`. Called with the lock held, so that messages reach the
    /// stream in the order they are taken from the state (a message sent while a new
    /// subscription's backlog is being handed over must not overtake it).
    private func deliverLocked(
        _ state: inout State,
        _ stored: Stored,
        _ destination: String,
        _ consumer: AsyncThrowingStream<WebhookInboundMessage, any Error>.Continuation
    ) {
        state.unacked[stored.id] = (destination, stored, state.generation)
        var headers = stored.headers
        headers.append(("message-id", stored.id))
        let message = WebhookInboundMessage(
            headers: headers,
            body: ByteBuffer(string: stored.body),
            handle: Handle(broker: self, id: stored.id, generation: state.generation)
        )
        consumer.yield(message)
    }

    func subscribe(to destination: String, durableName: String?, prefetch: Int, singleActiveConsumer: Bool) async throws -> WebhookSubscription {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WebhookInboundMessage.self, throwing: (any Error).self)
        state.withLockedValue { state in
            state.consumers[destination] = continuation
            for stored in state.queues.removeValue(forKey: destination) ?? [] {
                deliverLocked(&state, stored, destination, continuation)
            }
        }
        return WebhookSubscription(messages: stream) { [weak self] in
            self?.unsubscribe(destination)
        }
    }

    private func unsubscribe(_ destination: String) {
        let continuation = state.withLockedValue { state in
            let consumer = state.consumers.removeValue(forKey: destination)
            let returned = state.unacked.filter { $0.value.destination == destination }
            for (id, entry) in returned.sorted(by: { $0.key < $1.key }) {
                state.unacked[id] = nil
                state.queues[destination, default: []].append(entry.stored)
            }
            return consumer
        }
        continuation?.finish()
    }

    /// A lost connection: every unacknowledged message is delivered again, in order.
    func reconnect() {
        state.withLockedValue { state in
            state.generation += 1
            let returned = state.unacked.values.sorted { Int($0.stored.id.dropFirst(2))! < Int($1.stored.id.dropFirst(2))! }
            state.unacked = [:]
            for entry in returned {
                var stored = entry.stored
                stored.headers.append(("redelivered", "true"))
                if let consumer = state.consumers[entry.destination] {
                    deliverLocked(&state, stored, entry.destination, consumer)
                } else {
                    state.queues[entry.destination, default: []].append(stored)
                }
            }
        }
    }

    func publish(to destination: String, headers: [(name: String, value: String)], body: ByteBuffer) async throws {
        send(destination, body: String(buffer: body), headers: headers)
    }

    /// Messages waiting in `destination` (not delivered to a consumer).
    func queued(_ destination: String) -> [Stored] { state.withLockedValue { $0.queues[destination] ?? [] } }
    /// Messages delivered and not acknowledged.
    var unacknowledgedCount: Int { state.withLockedValue { $0.unacked.count } }
    /// Ids acknowledged, in order.
    var acknowledged: [String] { state.withLockedValue { $0.acked } }
}

/// A receiver that answers from a script and records what it got.
final class ScriptedPoster: WebhookPoster, @unchecked Sendable {
    struct Received {
        let headers: [(name: String, value: String)]
        let body: String
        func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    }

    private let received = NIOLockedValueBox([Received]())
    private let inFlight = NIOLockedValueBox((now: 0, peak: 0))
    let answer: @Sendable (Received, Int) async -> Result<WebhookResponse, WebhookTransportError>

    init(answer: @escaping @Sendable (Received, Int) async -> Result<WebhookResponse, WebhookTransportError>) {
        self.answer = answer
    }

    func post(_ request: WebhookRequest) async throws(WebhookTransportError) -> WebhookResponse {
        let item = Received(headers: request.headers, body: String(buffer: request.body))
        let count = received.withLockedValue {
            $0.append(item)
            return $0.count
        }
        inFlight.withLockedValue {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        defer { inFlight.withLockedValue { $0.now -= 1 } }
        return try await answer(item, count).get()
    }

    var requests: [Received] { received.withLockedValue { $0 } }
    var peakConcurrency: Int { inFlight.withLockedValue { $0.peak } }
}
